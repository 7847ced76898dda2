/* displayReport(): the report as a notebook shows it, the page in a frame of its own. */
import { JUPYTER_DISPLAY, type MimeBundle } from '../draw/notebook.js'
import { escapeHtml } from '../draw/rules.js'
import type { Measurement } from '../compare/measurement.js'
import type { Timeline } from '../timeline/timeline.js'
import { type ReportOptions, renderReport } from './render.js'

/** A report a notebook displays: the page, and the bundle a kernel asks for. */
export interface ReportDisplay {
  /** The self-contained page, as `renderReport` returns it. */
  readonly html: string
  /** The MIME bundle: the page in a sandboxed frame 720 pixels high (its style and script stay its own), and a line of text. */
  display(): MimeBundle
}

/**
 * The report of a measurement or a timeline, as a notebook cell shows it. Deno's Jupyter
 * kernel displays the returned object when it ends a cell (it calls
 * `Symbol.for('Jupyter.display')`); in tslab, pass the HTML on:
 * `tslab.display.html(displayReport(m).display()['text/html'])`.
 *
 * @example
 * ```ts
 * import { displayReport } from 'relu-patterns/report'
 *
 * displayReport(await probe.measurePatterns(xs), { title: 'After training' })
 * ```
 */
export function displayReport(
  input: Measurement<Record<string, Record<string, unknown>>> | Timeline<Record<string, Record<string, unknown>>>,
  options: ReportOptions = {},
): ReportDisplay {
  const html = renderReport(input, options)
  const title = options.title ?? 'ReLU activation patterns'
  const display = (): MimeBundle => ({
    'text/plain': `Report: ${title}`,
    'text/html': `<iframe title="${escapeHtml(title)}" sandbox="allow-scripts" style="width:100%;height:720px;resize:vertical;border:1px solid #ddd" srcdoc="${escapeHtml(html)}"></iframe>`,
  })
  const shown: ReportDisplay = { html, display }
  Object.defineProperty(shown, JUPYTER_DISPLAY, { value: display })
  return shown
}
