import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { binaryEntropy, layoutOf, unitStats } from '../../src/index.js'
import { batchOf, boolRows } from '../helpers/batches.js'

const r = unitStats()

function brute(rows: boolean[][], units: number) {
  const on = Array.from({ length: units }, (_, u) => rows.filter((row) => row[u]).length)
  const frequency = on.map((c) => (rows.length ? c / rows.length : 0))
  const entropy = frequency.map((p) => (p === 0 || p === 1 ? 0 : -(p * Math.log2(p) + (1 - p) * Math.log2(1 - p))))
  return {
    rows: rows.length,
    frequency,
    entropy,
    dead: rows.length ? on.filter((c) => c === 0).length : 0,
    alwaysOn: rows.length ? on.filter((c) => c === rows.length).length : 0,
  }
}

describe('unitStats', () => {
  test('equals brute force for any rows and widths not divisible by 32', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 70 }).chain((u) => fc.tuple(fc.constant(u), boolRows(u, 300))),
        ([units, rows]) => {
          // at most as many non-finite values as the batch has values
          const nonFinite = Math.min(3, rows.length * units)
          const got = r.result(r.update(r.init(layoutOf(units)), batchOf(rows, units, nonFinite)))
          const want = brute(rows, units)
          expect(got.rows).toBe(want.rows)
          expect(Array.from(got.frequency)).toEqual(want.frequency)
          got.entropy.forEach((e, i) => expect(e).toBeCloseTo(want.entropy[i]!, 12))
          expect(got.dead).toBe(want.dead)
          expect(got.alwaysOn).toBe(want.alwaysOn)
          expect(got.nonFinite).toBe(nonFinite)
          expect(got.meanEntropy).toBeCloseTo(want.entropy.reduce((a, b) => a + b, 0) / units, 12)
        },
      ),
    )
  })

  test('counts past the bit-sliced counter depth (70000 rows)', () => {
    const units = 3
    const rows = Array.from({ length: 70_000 }, (_, i) => [true, i % 2 === 0, i % 7 === 0])
    const got = r.result(r.update(r.init(layoutOf(units)), batchOf(rows, units)))
    expect(Array.from(got.frequency)).toEqual([1, 35_000 / 70_000, 10_000 / 70_000])
    expect(got.alwaysOn).toBe(1)
  })

  test('empty state gives zeros, never NaN', () => {
    const got = r.result(r.init(layoutOf(5)))
    expect(got).toMatchObject({ rows: 0, units: 5, meanEntropy: 0, dead: 0, alwaysOn: 0 })
    expect(Array.from(got.frequency)).toEqual([0, 0, 0, 0, 0])
  })

  test('hand-worked: a unit on half the time has 1 bit of entropy', () => {
    const got = r.result(
      r.update(
        r.init(layoutOf(2)),
        batchOf(
          [
            [true, false],
            [false, false],
          ],
          2,
        ),
      ),
    )
    expect(Array.from(got.entropy)).toEqual([1, 0])
    expect(got.dead).toBe(1)
    expect(binaryEntropy(0.5)).toBe(1)
  })
})
