import fc from 'fast-check'
import { beforeAll, describe, expect, test } from 'vitest'
import {
  type Features,
  buildMonitor,
  deserialize,
  featuresOf,
  instrument,
  mergeNap,
  napFit,
  napScores,
  napThresholds,
  serialize,
} from '../../src/index.js'
import { data, mlp } from '../helpers/models.js'
import { tf, useCpu } from '../helpers/tf.js'

beforeAll(useCpu)

/*
 * The NAP detector against brute force written apart from it: thresholds from a sorted
 * column, bits as booleans, per-class sets as arrays, nearest Hamming distance by trying
 * every training pattern.
 */

const features = (rows: number[][], units: number[], predictions?: number[]): Features => {
  let offset = 0
  const sites = units.map((u, i) => {
    const s = { id: `s${i}`, units: u, offset }
    offset += u
    return s
  })
  return {
    examples: rows.length,
    dims: offset,
    values: Float32Array.from(rows.flat()),
    sites,
    ...(predictions === undefined ? {} : { predictions: Int32Array.from(predictions) }),
  }
}

/** Brute force: per quantile and dimension, 0 for quantile 0, else the smallest value with at least that share at or below it. */
function thresholdsBrute(rows: number[][], quantiles: number[]): number[][] {
  return quantiles.map((q) =>
    rows[0]!.map((_, d) => {
      if (q === 0) return 0
      const col = rows.map((r) => Math.fround(r[d]!)).sort((a, b) => a - b)
      return col.find((v) => col.filter((w) => w <= v).length / col.length >= q)! + 0
    }),
  )
}

function scoresBrute(
  train: number[][],
  classes: number[],
  queries: number[][],
  predicted: number[],
  units: number[],
  quantiles: number[],
  combine: 'max' | 'mean',
): number[] {
  const th = thresholdsBrute(train, quantiles)
  const bits = (row: number[], offset: number, n: number): boolean[] =>
    th.flatMap((t) => Array.from({ length: n }, (_, u) => Math.fround(row[offset + u]!) > t[offset + u]!))
  return queries.map((q, e) => {
    let offset = 0
    const shares = units.map((n) => {
      const mine = bits(q, offset, n)
      const same = train.filter((_, i) => classes[i] === predicted[e]).map((r) => bits(r, offset, n))
      offset += n
      const best = Math.min(...same.map((p) => p.reduce((s, b, i) => s + (b !== mine[i] ? 1 : 0), 0)))
      return best / mine.length
    })
    return combine === 'max' ? Math.max(...shares) : shares.reduce((s, v) => s + v / shares.length, 0)
  })
}

const value = fc.oneof(fc.constant(0), fc.double({ min: -2, max: 3, noNaN: true }))

describe('napFit and napScores equal brute force', () => {
  test('random features, several sites, one to three levels, both combinations', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 2, max: 30 }),
        fc.uniqueArray(fc.double({ min: 0, max: 0.99, noNaN: true }), { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        fc.integer(),
        (units, classCount, n, qs, withSign, seed) => {
          const quantiles = withSign ? [0, ...qs.filter((q) => q > 0)] : qs
          const dims = units.reduce((a, b) => a + b, 0)
          const rows = fc.sample(fc.array(value, { minLength: dims, maxLength: dims }), { numRuns: n + 6, seed })
          const train = rows.slice(0, n)
          const queries = rows.slice(n)
          const classes = train.map((_, i) => i % Math.min(classCount, n))
          const predicted = queries.map((_, i) => (i * 7) % Math.min(classCount, n))
          const detector = napFit(features(train, units), classes, { quantiles })
          expect(Array.from(detector.thresholds)).toEqual(thresholdsBrute(train, quantiles).flat())
          for (const combine of ['max', 'mean'] as const) {
            const got = Array.from(napScores(detector, features(queries, units, predicted), { combine }))
            const want = scoresBrute(train, classes, queries, predicted, units, quantiles, combine)
            got.forEach((g, i) => expect(g).toBeCloseTo(want[i]!, 12))
          }
          // a training example's own pattern was seen for its class
          expect(Array.from(napScores(detector, features(train, units, classes))).every((s) => s === 0)).toBe(true)
        },
      ),
      { numRuns: 60 },
    )
  })

  test('shards fitted with the same thresholds merge into the fit of the union; serialised, it scores the same', () => {
    fc.assert(
      fc.property(fc.integer({ min: 4, max: 40 }), fc.integer({ min: 1, max: 70 }), fc.integer(), (n, dims, seed) => {
        const rows = fc.sample(fc.array(value, { minLength: dims, maxLength: dims }), { numRuns: n + 8, seed })
        const train = rows.slice(0, n)
        const classes = train.map((_, i) => i % 2)
        const units = [dims]
        const thresholds = napThresholds(features(train, units), { quantiles: [0, 0.6] })
        const half = Math.floor(n / 2)
        const a = napFit(features(train.slice(0, half), units), classes.slice(0, half), { thresholds })
        const b = napFit(features(train.slice(half), units), classes.slice(half), { thresholds })
        const whole = napFit(features(train, units), classes, { thresholds })
        const merged = mergeNap(a, b)
        const queries = features(rows.slice(n), units, [0, 1, 0, 1, 0, 1, 0, 1])
        expect(Array.from(napScores(merged, queries))).toEqual(Array.from(napScores(whole, queries)))
        expect(merged.sets.map((s) => s.map((c) => c.rows))).toEqual(whole.sets.map((s) => s.map((c) => c.rows)))
        const again = deserialize(serialize(merged)) as typeof merged
        expect(Array.from(napScores(again, queries))).toEqual(Array.from(napScores(whole, queries)))
      }),
      { numRuns: 40 },
    )
  })
})

describe('thresholds', () => {
  test('quantile k/100 of the values 1..100 is k exactly (no rounding off by one)', () => {
    const rows = Array.from({ length: 100 }, (_, i) => [i + 1])
    const quantiles = Array.from({ length: 99 }, (_, k) => (k + 1) / 100)
    const t = napThresholds(features(rows, [1]), { quantiles })
    expect(Array.from(t)).toEqual(quantiles.map((_, k) => k + 1))
  })
})

describe('shards with a class of their own: classes, empty sets and merges', () => {
  test('a shard without class 2 fits with classes: 3, scores Infinity there, and merges into the fit of the union', () => {
    const rows = fc.sample(fc.array(value, { minLength: 5, maxLength: 5 }), { numRuns: 30, seed: 3 })
    const classes = rows.map((_, i) => i % 3)
    const units = [5]
    const thresholds = napThresholds(features(rows, units))
    const keep = (want: (c: number) => boolean) => rows.filter((_, i) => want(classes[i]!))
    const a = napFit(
      features(
        keep((c) => c < 2),
        units,
      ),
      classes.filter((c) => c < 2),
      { thresholds, classes: 3 },
    )
    const b = napFit(
      features(
        keep((c) => c === 2),
        units,
      ),
      classes.filter((c) => c === 2),
      { thresholds, classes: 3 },
    )
    expect(a.sets[0]![2]!.rows).toBe(0)
    const queries = features(rows.slice(0, 6), units, [2, 2, 0, 1, 2, 0])
    const aScores = Array.from(napScores(a, queries))
    expect(aScores.filter((_, i) => [0, 1, 4].includes(i)).every((s) => s === Number.POSITIVE_INFINITY)).toBe(true)
    const whole = napFit(features(rows, units), classes, { thresholds })
    expect(Array.from(napScores(mergeNap(a, b), queries))).toEqual(Array.from(napScores(whole, queries)))
  })
})

describe('NAP at quantile 0 reads what the pattern monitor reads', () => {
  test('the same sites of a real pass: the monitor mean score equals NAP with quantiles [0] and combine mean', async () => {
    const model = mlp(5, [12, 24, 20, 3])
    const train = data(150, 12, 3, 9)
    const sites = [model.layers[0]!.name, model.layers[1]!.name]
    const probe = instrument(model, { reducers: {}, sites, values: true })
    const m = await probe.measurePatterns(train.xs, { predictions: true, values: true })
    const test_ = await probe.measurePatterns(tf.mul(data(60, 12, 3, 10).xs, 2), { predictions: true, values: true })
    const labels = Array.from(m.predictions!)
    const monitor = await buildMonitor(model, m, { labels, sites })
    const detector = napFit(featuresOf(m, sites), labels, { quantiles: [0] })
    const byMonitor = monitor.checkPatterns(test_.patterns, test_.predictions!).map((c) => c.score)
    const byNap = Array.from(napScores(detector, featuresOf(test_, sites), { combine: 'mean' }))
    byNap.forEach((s, i) => expect(s).toBeCloseTo(byMonitor[i]!, 12))
    expect(byNap.some((s) => s > 0)).toBe(true)
    probe.dispose()
    model.dispose()
  })
})

describe('coded errors', () => {
  const train = features(
    [
      [0, 1],
      [1, 0],
      [2, 2],
    ],
    [2],
  )
  test('options, classes, predictions, features and detectors', () => {
    expect(() => napFit(train, [0, 1, 0], { quantiles: [1] })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
    expect(() => napFit(train, [0, 1, 0], { quantiles: [] })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
    expect(() => napFit(train, [0, 1, 0], { quantile: 0.5 } as never)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
    expect(() => napFit(train, [0, 2, 0])).toThrow(/class 1 has no examples/)
    expect(() => napFit(train, [0, 1])).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
    expect(() => napFit(train, [0, 1, 0], { thresholds: new Float32Array(3) })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
    expect(() => napFit(train, [0, 1, 0], { maxBytes: 8 })).toThrow(/maxBytes/)
    const d = napFit(train, [0, 1, 0])
    expect(() => napScores(d, train)).toThrow(/no predicted classes/)
    expect(() => napScores(d, features([[1, 1]], [2], [2]))).toThrow(expect.objectContaining({ code: 'MODEL_MISMATCH' }))
    expect(() => napScores(d, features([[1, 1, 1]], [3], [0]))).toThrow(expect.objectContaining({ code: 'MODEL_MISMATCH' }))
    expect(() => napScores({ ...d, levels: 3 }, features([[1, 1]], [2], [0]))).toThrow(expect.objectContaining({ code: 'CORRUPT_DATA' }))
    expect(() => mergeNap(d, napFit(train, [0, 1, 0], { quantiles: [0, 0.5] }))).toThrow(
      expect.objectContaining({ code: 'MODEL_MISMATCH' }),
    )
    // non-finite values: refused at fit, an outlier at check
    expect(() =>
      napFit(
        features(
          [
            [0, Number.NaN],
            [1, 0],
          ],
          [2],
        ),
        [0, 0],
      ),
    ).toThrow(/not finite/)
    expect(
      Array.from(
        napScores(
          d,
          features(
            [
              [Number.NaN, 1],
              [0, 1],
            ],
            [2],
            [0, 0],
          ),
        ),
      ),
    ).toEqual([Number.POSITIVE_INFINITY, 0])
    // the sites must be the detector's, not only as many values
    const other = { ...features([[1, 1]], [2], [0]), sites: [{ id: 'x', units: 2, offset: 0 }] }
    expect(() => napScores(d, other)).toThrow(expect.objectContaining({ code: 'MODEL_MISMATCH' }))
    // sites past the values, quantiles with thresholds, infinite thresholds, huge classes
    expect(() => napFit({ ...train, sites: [{ id: 's', units: 3, offset: 0 }] }, [0, 1, 0])).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    )
    expect(() => napFit(train, [0, 1, 0], { quantiles: [0], thresholds: new Float32Array(2) })).toThrow(/not both/)
    expect(() => napFit(train, [0, 1, 0], { thresholds: Float32Array.of(0, Number.POSITIVE_INFINITY) })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    )
    expect(() => napFit(train, [0, 1, 5e9])).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
    expect(() => napFit(train, [0, 1, 3], { classes: 3 })).toThrow(/below classes/)
    // -0 given is the threshold 0: detectors fitted with -0 and 0 merge
    const zero = napFit(train, [0, 1, 0], { thresholds: Float32Array.of(0, 0) })
    const negative = napFit(train, [0, 1, 0], { thresholds: Float32Array.of(-0, -0) })
    expect(mergeNap(zero, negative).sets[0]!.map((set) => set.rows)).toEqual(zero.sets[0]!.map((set) => set.rows))
    expect(() => napScores(d, features([[1, 1]], [2], [0]), { combine: 'min' as never })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    )
  })
})
