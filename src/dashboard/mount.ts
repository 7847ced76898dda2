/* mountDashboard: the live view inside an application's own page, re-drawn as a schedule records points while fit runs there. */
import { InstrumentError } from '../errors.js'
import type { ReducerMap } from '../reducer.js'
import type { ProbeCallback } from '../timeline/schedule.js'
import type { Timeline } from '../timeline/timeline.js'
import { LiveLog } from './log.js'
import { DASHBOARD_STYLE } from './page.js'
import { pointRecord } from './records.js'
import { type View, dashboardHtml } from './view.js'

/** The element the view is drawn into (a DOM element, by the parts used). */
export interface DashboardElement {
  innerHTML: string
  querySelectorAll(selector: string): ArrayLike<{ value: string; dataset: { view?: string }; onchange: unknown }>
}

/**
 * Draws the live view of a schedule into `element` and re-draws it after each point, with
 * the same pickers, heatmaps and lines as `relu-patterns watch`. Returns the undo, which
 * stops the updates (the element keeps its last picture).
 *
 * @example
 * ```ts
 * import { mountDashboard } from 'relu-patterns/dashboard'
 *
 * const schedule = trainingCallback(probe, { every: { epochs: 0.2 }, measure: probeXs })
 * const unmount = mountDashboard(document.getElementById('patterns')!, schedule)
 * await model.fit(xs, ys, { epochs: 5, callbacks: [schedule] })
 * ```
 */
export function mountDashboard<M extends ReducerMap>(element: DashboardElement, schedule: ProbeCallback<M>): () => void {
  if (typeof element?.querySelectorAll !== 'function')
    throw new InstrumentError('INVALID_INPUT', 'mountDashboard(element, schedule) takes a DOM element.')
  if (typeof schedule?.attach !== 'function')
    throw new InstrumentError('INVALID_INPUT', 'mountDashboard(element, schedule) takes the schedule trainingCallback() returned.')
  const log = new LiveLog('this run', null)
  const timeline = schedule.timeline as unknown as Timeline
  for (const entry of timeline.entries) log.run.points.push(pointRecord(entry as never, timeline))
  const view: View = { metric: 'normalizedEntropy', site: null, run: null }
  const draw = (): void => {
    // the style is scoped to the view's own class: the application's page keeps its look
    element.innerHTML = `<style>${DASHBOARD_STYLE}</style><div class="relu-dashboard">${dashboardHtml([log.run], view)}</div>`
    const pickers = element.querySelectorAll('select[data-view]')
    for (let i = 0; i < pickers.length; i++) {
      const s = pickers[i]!
      s.onchange = () => {
        const key = s.dataset.view as keyof View | undefined
        if (key !== undefined) view[key] = s.value
        draw()
      }
    }
  }
  const undoLog = log.subscribe(draw)
  const detach = schedule.attach(log)
  draw()
  return () => {
    undoLog()
    detach()
  }
}
