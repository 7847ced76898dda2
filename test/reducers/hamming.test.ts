import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { type PackedBatch, hamming, hammingMatrix, layoutOf } from '../../src/index.js'
import { batchOf, boolRows } from '../helpers/batches.js'

const dist = (a: boolean[], b: boolean[]) => a.reduce((n, v, i) => n + (v !== b[i] ? 1 : 0), 0)

function brutePairs(rows: boolean[][], groups: number[][]) {
  const histogram = new Array(rows[0]?.length ?? 0).fill(0)
  let pairs = 0
  let sum = 0
  for (const g of groups)
    for (let i = 0; i < g.length; i++)
      for (let j = i + 1; j < g.length; j++) {
        const d = dist(rows[g[i]!]!, rows[g[j]!]!)
        histogram[d] = (histogram[d] ?? 0) + 1
        pairs++
        sum += d
      }
  return { pairs, sum, histogram }
}

describe('hamming', () => {
  test('all pairs: equals brute force', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 70 }).chain((u) => fc.tuple(fc.constant(u), boolRows(u, 40))),
        ([units, rows]) => {
          const h = hamming()
          const got = h.result(h.update(h.init(layoutOf(units)), batchOf(rows, units)))
          const want = brutePairs(rows, [rows.map((_, i) => i)])
          expect(got.pairs).toBe(want.pairs)
          expect(got.exact).toBe(true)
          expect(got.meanDistance).toBeCloseTo(want.pairs ? want.sum / (want.pairs * units) : 0, 12)
          const hist = Array.from(got.histogram)
          want.histogram.forEach((c: number, d: number) => expect(hist[d]).toBe(c))
          expect(hist.reduce((a, b) => a + b, 0)).toBe(want.pairs)
        },
      ),
    )
  })

  test('samePosition pairs only rows of different examples at the same position', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer(),
        (units, positions, examples, seed) => {
          const rows = Array.from({ length: positions * examples }, (_, r) =>
            Array.from({ length: units }, (_, u) => ((Math.imul(seed ^ r, 2654435761) >>> (u % 31)) & 1) === 1),
          )
          const batch: PackedBatch = { ...batchOf(rows, units), positions }
          const h = hamming({ pairs: 'samePosition' })
          const got = h.result(h.update(h.init(layoutOf(units)), batch))
          const groups = Array.from({ length: positions }, (_, p) => Array.from({ length: examples }, (_, e) => e * positions + p))
          const want = brutePairs(rows, groups)
          expect(got.pairs).toBe(want.pairs)
          expect(got.meanDistance).toBeCloseTo(want.pairs ? want.sum / (want.pairs * units) : 0, 12)
        },
      ),
    )
  })

  test('hand-worked: 000, 011, 111 have distances 2, 3, 1', () => {
    const h = hamming()
    const got = h.result(
      h.update(
        h.init(layoutOf(3)),
        batchOf(
          [
            [false, false, false],
            [false, true, true],
            [true, true, true],
          ],
          3,
        ),
      ),
    )
    expect(got.pairs).toBe(3)
    expect(Array.from(got.histogram)).toEqual([0, 1, 1, 1])
    expect(got.meanDistance).toBeCloseTo(6 / 9, 12)
  })

  test('above maxPairs it samples exactly maxPairs pairs, reproducibly, close to the exact mean', () => {
    const units = 50
    const rows = Array.from({ length: 300 }, (_, r) => Array.from({ length: units }, (_, u) => (r * 7 + u * 13) % 5 < 2 + (r % 3)))
    const exact = hamming()
    const e = exact.result(exact.update(exact.init(layoutOf(units)), batchOf(rows, units)))
    const sampled = hamming({ maxPairs: 20_000 })
    const s1 = sampled.result(sampled.update(sampled.init(layoutOf(units)), batchOf(rows, units)))
    const s2 = sampled.result(sampled.update(sampled.init(layoutOf(units)), batchOf(rows, units)))
    expect(s1.exact).toBe(false)
    expect(s1.pairs).toBe(20_000)
    expect(s1.sampledPairs).toBe(20_000)
    expect(s1).toEqual(s2)
    expect(Math.abs(s1.meanDistance - e.meanDistance)).toBeLessThan(0.01)
    const other = hamming({ maxPairs: 20_000, seed: 1 })
    expect(other.result(other.update(other.init(layoutOf(units)), batchOf(rows, units))).histogram).not.toEqual(s1.histogram)
  })

  test('bad options are INVALID_OPTION', () => {
    expect(() => hamming({ maxPairs: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
    expect(() => hamming({ pairs: 'some' as never })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
  })
})

describe('hammingMatrix', () => {
  test('equals brute-force distances', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 70 }).chain((u) => fc.tuple(fc.constant(u), boolRows(u, 30))),
        ([units, rows]) => {
          const m = hammingMatrix(batchOf(rows, units))
          expect(m.rows).toBe(rows.length)
          for (let i = 0; i < rows.length; i++)
            for (let j = 0; j < rows.length; j++) expect(m.distances[i * rows.length + j]).toBe(dist(rows[i]!, rows[j]!))
        },
      ),
    )
  })

  test('refuses more than maxRows rows', () => {
    const rows = Array.from({ length: 5 }, () => [true])
    expect(() => hammingMatrix(batchOf(rows, 1), { maxRows: 4 })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
  })
})
