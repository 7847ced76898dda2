import { afterEach, expect, test } from 'vitest'
import { Timeline, buildMonitor, instrument, summarize } from '../src/index.js'
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
