import { afterEach, expect, test } from 'vitest'
import {
  METRICS,
  compare,
  coverage,
  dormant,
  hamming,
  instrument,
  metricInfo,
  patternHistogram,
  summarize,
  unitStats,
} from '../src/index.js'
import { metricTitle, resultOfKind } from '../src/metrics/catalogue.js'
import { SUMMARY_METRICS } from '../src/metrics/summary.js'
import { data, mlp } from './helpers/models.js'
import { tf } from './helpers/tf.js'

afterEach(() => tf.disposeVariables())

test('every metric of the catalogue is a number of the result its kind names, found by kind whatever the reducer is called', async () => {
  const model = mlp(2)
  const probe = instrument(model, { reducers: { a: unitStats(), b: patternHistogram(), c: hamming(), d: dormant(), e: coverage() } })
  const { xs, ys } = data(40)
  const labels = Array.from({ length: 40 }, (_, i) => i % 3)
  const m = await probe.measurePatterns(xs, { labels })
  await model.fit(xs, ys, { epochs: 2, batchSize: 8, verbose: 0 })
  const m2 = await probe.measurePatterns(xs, { labels })
  const site = probe.sites[0]!.id
  const results = { ...m.results[site]!, f: compare(m, m2)[site]! }
  expect(Object.values(results).map((r) => r.kind)).toEqual([
    'unitStats',
    'patternHistogram',
    'hamming',
    'dormant',
    'coverage',
    'comparison',
  ])
  for (const info of METRICS) {
    if (info.kind === 'site') continue
    const r = resultOfKind(results as never, info.kind === 'histogramComparison' ? 'comparison' : info.kind)
    expect(r, info.key).toBeDefined()
    expect(typeof r![info.key], `${info.kind}.${info.key}`).toBe('number')
    if (info.range !== null) {
      expect(r![info.key] as number).toBeGreaterThanOrEqual(info.range[0])
      expect(r![info.key] as number).toBeLessThanOrEqual(info.range[1])
    }
  }
  probe.dispose()
  tf.dispose([xs, ys])
})

test('summary rows hold the catalogue keys with the values of the results they name', async () => {
  const probe = instrument(mlp(3), { reducers: { u: unitStats(), h: patternHistogram(), d: hamming() } })
  const { xs } = data(30)
  const r = await probe.measure(xs)
  const [row] = summarize(r, probe.sites)
  for (const key of SUMMARY_METRICS) expect(metricInfo(key), key).toBeDefined()
  const id = probe.sites[0]!.id
  expect(row!.meanEntropy).toBe(r[id]!.u.meanEntropy)
  expect(row!.topShare).toBe(r[id]!.h.topShare)
  expect(row!.meanDistance).toBe(r[id]!.d.meanDistance)
  expect(row!.patternShare).toBe(r[id]!.h.patternShare)
  // summarize(probe) reads what the training stream holds
  expect(summarize(probe)[0]!.rows).toBe(0)
  probe.dispose()
  tf.dispose([xs])
})

test('results written before kinds are found by their fields; chart titles come from the catalogue', () => {
  const legacy = { x: { rows: 4, units: 2, frequency: new Float64Array(2), meanEntropy: 0, dead: 2, alwaysOn: 0, nonFinite: 0 } }
  expect(resultOfKind(legacy, 'unitStats')).toBe(legacy.x)
  expect(resultOfKind(legacy, 'patternHistogram')).toBeUndefined()
  expect(metricTitle('patterns.normalizedEntropy')).toBe('normalised pattern entropy (H / Hmax)')
  expect(metricTitle('vsFinal.weightedJaccard')).toBe('weighted Jaccard similarity, vs final')
  expect(metricTitle('mine.custom')).toBe('mine.custom')
  expect(new Set(METRICS.map((m) => m.key)).size).toBe(METRICS.length)
})
