import { afterEach, expect, test } from 'vitest'
import { Timeline, buildMonitor, instrument, patternHistogram, summarize, unitStats } from '../src/index.js'
import { displayReport, renderReport } from '../src/report/index.js'
import { data, mlp } from './helpers/models.js'
import { tf } from './helpers/tf.js'

afterEach(() => tf.disposeVariables())

const DISPLAY = Symbol.for('Jupyter.display')
type Displayable = { [DISPLAY]: () => { 'text/html': string; 'text/plain': string } }

test("a timeline and a monitor answer a notebook kernel's display call with an HTML and a text bundle", async () => {
  const model = mlp(12)
  const probe = instrument(model)
  const { xs, ys } = data(30, 12, 3, 40)
  const timeline = new Timeline()
  expect((timeline as unknown as Displayable)[DISPLAY]()['text/plain']).toBe('Timeline: 0 measurements')
  timeline.add({ step: 0 }, await probe.measurePatterns(xs))
  await model.fit(xs, ys, { epochs: 1, batchSize: 10, verbose: 0 })
  timeline.add({ step: 3, epoch: 1 }, await probe.measurePatterns(xs))
  const bundle = (timeline as unknown as Displayable)[DISPLAY]()
  expect(Object.keys(bundle).sort()).toEqual(['text/html', 'text/plain'])
  expect(bundle['text/plain']).toBe('Timeline: 2 measurements, steps 0 to 3')
  // the last measurement's numbers, under the catalogue's labels, and a heatmap over training
  const last = summarize(timeline.entries[1]!.results)[0]!
  expect(bundle['text/html']).toContain('<th title="Distinct patterns among all rows, counted exactly.">distinct</th>')
  expect(bundle['text/html']).toContain(`<td>${last.distinct}</td>`)
  expect(bundle['text/html']).toContain('<svg')
  expect(bundle['text/html']).toContain('epoch 1.00')
  probe.dispose()
  const monitor = await buildMonitor(model, xs, { labels: Array.from({ length: 30 }, (_, i) => i % 3) })
  const m = (monitor as unknown as Displayable)[DISPLAY]()
  expect(m['text/plain']).toBe(`Monitor: 1 site, 3 classes by label, ${monitor.patterns} distinct patterns, threshold not calibrated`)
  expect(m['text/html']).toContain(`<td>${monitor.sites[0]!.id}</td>`)
  tf.dispose([xs, ys])
})

test('a retained measurement and a report display themselves; the measurement stays plain data', async () => {
  const model = mlp(12)
  const probe = instrument(model)
  const { xs } = data(30, 12, 3, 41)
  const m = await probe.measurePatterns(xs)
  const bundle = (m as unknown as Displayable)[DISPLAY]()
  expect(bundle['text/plain']).toBe(`Measurement: 30 examples, ${probe.sites.length} site${probe.sites.length === 1 ? '' : 's'}`)
  const rows = summarize(m.results)
  expect(bundle['text/html']).toContain(`<td>${rows[0]!.distinct}</td>`)
  expect(bundle['text/html']).toContain('<th title="Distinct patterns among all rows, counted exactly.">distinct</th>')
  // the display is not an enumerable key: copies, messages and stored states do not carry it
  expect(Object.keys(m)).toEqual(['kind', 'examples', 'inputs', 'results', 'patterns'])
  expect(() => structuredClone(m)).not.toThrow()
  const report = displayReport(m, { title: 'A <small> model' })
  expect(report.html).toBe(renderReport(m, { title: 'A <small> model' }))
  const shown = (report as unknown as Displayable)[DISPLAY]()
  expect(shown['text/plain']).toBe('Report: A <small> model')
  // the page, escaped once, is the frame's document
  const srcdoc = /srcdoc="([^"]*)"/.exec(shown['text/html'])?.[1] ?? ''
  const unescaped = srcdoc.replace(/&#(\d+);/g, (_, c: string) => String.fromCharCode(Number(c)))
  expect(unescaped).toBe(report.html)
  expect(shown['text/html']).toMatch(/^<iframe title="A &#60;small&#62; model" sandbox="allow-scripts"/)
  probe.dispose()
  tf.dispose(xs)
})

test('values of a histogram past its cap are marked as estimates, in the notebook table and the report', async () => {
  const model = mlp(13, [12, 40, 30, 3])
  const probe = instrument(model, { reducers: { units: unitStats(), patterns: patternHistogram({ maxBytes: 400 }) } })
  const { xs } = data(200, 12, 3, 43)
  const m = await probe.measurePatterns(xs)
  const rows = summarize(m.results)
  const capped = rows.filter((r) => !r.exact)
  expect(capped.length).toBeGreaterThan(0)
  const html = (m as unknown as Displayable)[DISPLAY]()['text/html']
  const page = renderReport(m)
  for (const r of capped) {
    expect(html).toContain(`>≥${r.distinct}</td>`)
    expect(page).toContain(`>≥${r.distinct}</td>`)
  }
  for (const text of [html, page]) expect(text).toContain('≥ and ≈ mark an estimate: the histogram passed its memory cap')
  // a row that stayed under its cap carries no mark
  for (const r of rows.filter((x) => x.exact)) expect(page).not.toContain(`>≥${r.distinct}</td>`)
  probe.dispose()
  tf.dispose(xs)
})
