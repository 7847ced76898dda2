import fc from 'fast-check'
import { expect, test } from 'vitest'
import { compareHistograms, layoutOf, patternHistogram } from '../../src/index.js'
import { batchOf } from '../helpers/batches.js'

const h = patternHistogram()
const stateOf = (rows: boolean[][], units: number) => h.update(h.init(layoutOf(units)), batchOf(rows, units))
const countsOf = (rows: boolean[][]) => {
  const m = new Map<string, number>()
  for (const r of rows) m.set(r.join(), (m.get(r.join()) ?? 0) + 1)
  return m
}

function brute(a: boolean[][], b: boolean[][], t: number, tb = t) {
  const ca = countsOf(a)
  const cb = countsOf(b)
  const keys = new Set([...ca.keys(), ...cb.keys()])
  let inter = 0
  let min = 0
  let max = 0
  let interT = 0
  let unionT = 0
  for (const k of keys) {
    const x = ca.get(k) ?? 0
    const y = cb.get(k) ?? 0
    if (x > 0 && y > 0) inter++
    min += Math.min(x, y)
    max += Math.max(x, y)
    if (x > t && y > tb) interT++
    if (x > t || y > tb) unionT++
  }
  return {
    jaccard: keys.size ? inter / keys.size : 1,
    weightedJaccard: max ? min / max : 1,
    thresholdedJaccard: unionT ? interT / unionT : 1,
    patternsAdded: cb.size - inter,
    patternsRemoved: ca.size - inter,
    patternsChanged: cb.size - ca.size,
    shareChanged: cb.size === 0 ? 0 : (cb.size - ca.size) / cb.size,
  }
}

test('compareHistograms equals brute force on sets and counts', () => {
  const pool = fc.array(fc.boolean(), { minLength: 5, maxLength: 5 })
  fc.assert(
    fc.property(
      fc
        .array(pool, { minLength: 1, maxLength: 6 })
        .chain((p) => fc.tuple(fc.array(fc.constantFrom(...p), { maxLength: 80 }), fc.array(fc.constantFrom(...p), { maxLength: 80 }))),
      fc.integer({ min: 0, max: 6 }),
      ([a, b], threshold) => {
        const got = compareHistograms(stateOf(a, 5), stateOf(b, 5), { threshold })
        const want = brute(a, b, threshold)
        for (const [k, v] of Object.entries(want)) expect(got[k as keyof typeof got], k).toBeCloseTo(v, 12)
        expect(got.exact).toBe(true)
      },
    ),
  )
})

test('hand-worked: {a:3, b:1} vs {a:1, c:2}', () => {
  const a = [true, false]
  const b = [false, true]
  const c = [true, true]
  const got = compareHistograms(stateOf([a, a, a, b], 2), stateOf([a, c, c], 2), { threshold: 1 })
  expect(got.jaccard).toBeCloseTo(1 / 3, 12) // {a} / {a, b, c}
  expect(got.weightedJaccard).toBeCloseTo(1 / 6, 12) // min: a 1 / max: a 3 + b 1 + c 2
  expect(got.thresholdedJaccard).toBe(0) // above 1: {a} in the first, {c} in the second
  expect(got).toMatchObject({ patternsAdded: 1, patternsRemoved: 1, patternsChanged: 0 })
})

test('identical histograms are similarity 1; empty ones too', () => {
  const rows = [
    [true, false],
    [true, true],
  ]
  expect(compareHistograms(stateOf(rows, 2), stateOf(rows, 2))).toMatchObject({ jaccard: 1, weightedJaccard: 1 })
  expect(compareHistograms(stateOf([], 2), stateOf([], 2))).toMatchObject({ jaccard: 1, weightedJaccard: 1, thresholdedJaccard: 1 })
})

test('a threshold as a share of rows applies to each histogram by its own rows', () => {
  const pool = fc.array(fc.boolean(), { minLength: 4, maxLength: 4 })
  fc.assert(
    fc.property(
      fc
        .array(pool, { minLength: 1, maxLength: 5 })
        .chain((p) =>
          fc.tuple(
            fc.array(fc.constantFrom(...p), { minLength: 1, maxLength: 90 }),
            fc.array(fc.constantFrom(...p), { minLength: 1, maxLength: 30 }),
          ),
        ),
      fc.double({ min: 0, max: 0.9, noNaN: true }),
      ([a, b], share) => {
        const got = compareHistograms(stateOf(a, 4), stateOf(b, 4), { threshold: { share } })
        expect(got.thresholdedJaccard).toBeCloseTo(brute(a, b, share * a.length, share * b.length).thresholdedJaccard, 12)
      },
    ),
  )
  expect(() => compareHistograms(stateOf([], 4), stateOf([], 4), { threshold: { share: 2 } })).toThrow(
    expect.objectContaining({ code: 'INVALID_OPTION' }),
  )
})
