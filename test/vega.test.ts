import * as vega from 'vega'
import * as vl from 'vega-lite'
import { beforeAll, expect, test } from 'vitest'
import { Timeline, instrument } from '../src/index.js'
import { heatmap, lines, regionMapSpec, sideBySide, tfvisHeatmap, unitHeatmap } from '../src/vega/index.js'
import { regionColor } from '../src/index.js'
import { data, mlp } from './helpers/models.js'
import { tf, useCpu } from './helpers/tf.js'

let timeline: Timeline
let ids: string[] = []
beforeAll(async () => {
  await useCpu()
  const model = mlp()
  const { xs, ys } = data(20)
  const probe = instrument(model)
  ids = probe.sites.map((s) => s.id)
  timeline = new Timeline()
  for (let i = 0; i < 3; i++) {
    timeline.add({ step: i * 2, epoch: i, examples: i * 20 }, await probe.measurePatterns(xs))
    await model.fit(xs, ys, { epochs: 1, batchSize: 10, verbose: 0 })
  }
  probe.dispose()
  tf.dispose([xs, ys])
})

const render = async (spec: Record<string, unknown>) => {
  const view = new vega.View(vega.parse(vl.compile(spec as never).spec), { renderer: 'none' })
  const svg = await view.toSVG()
  view.finalize()
  return svg
}

test('heatmap: one cell per measurement and site, values from the timeline, sites in model order', async () => {
  const spec = heatmap(timeline, { metric: 'vsFinal.weightedJaccard' })
  const values = (spec['data'] as { values: { site: string; examples: number; value: number }[] }).values
  expect(values).toHaveLength(3 * ids.length)
  const final = timeline.compare('final')
  for (const v of values) {
    const i = timeline.entries.findIndex((e) => e.examples === v.examples)
    expect(v.value).toBe(final[i]![v.site]!.weightedJaccard)
  }
  expect((spec['encoding'] as { y: { sort: string[] } }).y.sort).toEqual(ids)
  const svg = await render(spec)
  expect(svg.startsWith('<svg')).toBe(true)
  expect(svg).toContain(ids[0]!)
})

test('lines, unitHeatmap and sideBySide compile and render', async () => {
  const l = lines(timeline, { metric: 'patterns.normalizedEntropy', x: 'epoch' })
  expect((l['data'] as { values: unknown[] }).values).toHaveLength(3 * ids.length)
  const u = unitHeatmap(timeline, { site: ids[1]! })
  expect((u['data'] as { values: unknown[] }).values).toHaveLength(3 * 33)
  const both = sideBySide([heatmap(timeline, { metric: 'units.dead' }), heatmap(timeline, { metric: 'units.dead' })], {
    titles: ['a', 'b'],
  })
  for (const spec of [l, u, both]) expect(await render(spec)).toContain('<svg')
})

test('chart options are checked: a typo is INVALID_OPTION, a metric naming an inherited key is no TypeError', () => {
  expect(() => heatmap(timeline, { metric: 'patterns.entropy', titel: 'x' } as never)).toThrow(
    expect.objectContaining({ code: 'INVALID_OPTION' }),
  )
  expect(() => lines(timeline, { metric: 'patterns.entropy', site: ['a'] } as never)).toThrow(
    expect.objectContaining({ code: 'INVALID_OPTION' }),
  )
  expect(() => unitHeatmap(timeline, { site: ids[0]!, sites: [] } as never)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
  expect(() => sideBySide([], { titel: 'x' } as never)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
  // a metric, a site or a comparison the timeline cannot give is an error, never an empty chart
  expect(() => heatmap(timeline, { metric: 'constructor.x' })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
  expect(() => heatmap(timeline, { metric: 'patterns.normalisedEntropy' })).toThrow(
    expect.objectContaining({ code: 'INVALID_OPTION', message: expect.stringContaining('Did you mean "patterns.normalizedEntropy"') }),
  )
  expect(() => lines(timeline, { metric: 'patterns.entropy', sites: ['nope'] })).toThrow(expect.objectContaining({ code: 'UNKNOWN_SITE' }))
  expect(() => unitHeatmap(timeline, { site: 'nope' })).toThrow(expect.objectContaining({ code: 'UNKNOWN_SITE' }))
  expect(() => unitHeatmap(timeline, { site: ids[0]!, field: 'units.nope' })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
  const histogramsOnly = new Timeline()
  for (const e of timeline.entries) histogramsOnly.add({ step: e.step }, e.results)
  expect(() => heatmap(histogramsOnly, { metric: 'vsFinal.flipRate' })).toThrow(
    expect.objectContaining({ code: 'INVALID_OPTION', message: expect.stringContaining("keep: 'patterns'") }),
  )
})

test('unitHeatmap: time on a quantitative axis, no per-unit labels past 64 units, a fixed colour domain', () => {
  const wide = new Timeline()
  for (const step of [0, 10, 30])
    wide.add({ step }, { s: { units: { frequency: Float64Array.from({ length: 300 }, (_, u) => ((u + step) % 10) / 10) } } })
  const spec = unitHeatmap(wide, { site: 's' })
  const enc = spec['encoding'] as Record<string, Record<string, unknown>>
  expect(enc['x']).toMatchObject({ field: 't0', type: 'quantitative' })
  expect(enc['y']).toMatchObject({ type: 'quantitative', title: 'unit (300)' })
  expect((enc['color']!['scale'] as { domain: unknown }).domain).toEqual([0, 1])
  const values = (spec['data'] as { values: { t0: number; t1: number; unit: number }[] }).values
  expect(values.filter((v) => v.unit === 0).map((v) => [v.t0, v.t1])).toEqual([
    [0, 10],
    [10, 30],
    [30, 50],
  ])
  expect(
    (
      (unitHeatmap(wide, { site: 's', domain: 'data' })['encoding'] as Record<string, Record<string, unknown>>)['color']!['scale'] as {
        domain?: unknown
      }
    ).domain,
  ).toBeUndefined()
})

test('tfvisHeatmap gives tfjs-vis its column-major values with tick labels', () => {
  const t = new Timeline()
  t.add({ step: 0 }, { a: { h: { e: 0.1 } }, b: { h: { e: 0.2 } } })
  t.add({ step: 5 }, { a: { h: { e: 0.3 } }, b: { h: { e: 0.4 } } })
  expect(tfvisHeatmap(t, { metric: 'h.e' })).toEqual({
    values: [
      [0.1, 0.2],
      [0.3, 0.4],
    ],
    xTickLabels: ['0', '5'],
    yTickLabels: ['a', 'b'],
  })
})

test('regionMapSpec draws every pixel in its region colour', async () => {
  const ids = Int32Array.from([0, 0, 1, 0, 2, 1])
  const map = { width: 3, height: 2, ids, regions: 3, sizes: Int32Array.from([3, 2, 1]), extent: [1, 2] as const }
  const spec = regionMapSpec(map)
  const values = (spec['data'] as { values: { s0: number; s1: number; t0: number; t1: number; region: number }[] }).values
  expect(values).toHaveLength(6)
  // pixel centres, as regionMap samples them, lie in the middle of each rect
  expect(
    values.map((v) => [((v.s0 + v.s1) / 2 + 0).toFixed(6).replace('-0.000000', '0.000000'), ((v.t0 + v.t1) / 2).toFixed(6), v.region]),
  ).toEqual([
    ['-0.666667', '1.000000', 0],
    ['0.000000', '1.000000', 0],
    ['0.666667', '1.000000', 1],
    ['-0.666667', '-1.000000', 0],
    ['0.000000', '-1.000000', 2],
    ['0.666667', '-1.000000', 1],
  ])
  const svg = await render(spec)
  const fills = new Set([...svg.matchAll(/fill="([^"]+)"/g)].map((m) => m[1]))
  for (const id of [0, 1, 2]) expect(fills).toContain(regionColor(id))
  expect(() => regionMapSpec(map, { widht: 3 } as never)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
  expect(() => regionMapSpec(map, { width: -5 })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
  expect(() => regionMapSpec({ ...map, ids: Int32Array.from([0]) })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
  // a 120-pixel-wide map renders 120 distinct columns (no binning that merges them)
  const wide = {
    width: 120,
    height: 1,
    ids: Int32Array.from({ length: 120 }, (_, i) => i),
    regions: 120,
    sizes: new Int32Array(120).fill(1),
    extent: [1, 1] as const,
  }
  const rects = (regionMapSpec(wide)['data'] as { values: { s0: number }[] }).values
  expect(new Set(rects.map((r) => r.s0.toFixed(9))).size).toBe(120)
})
