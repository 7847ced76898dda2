import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { layoutOf, patternHistogram } from '../../src/index.js'
import { batchOf, boolRows } from '../helpers/batches.js'

const H = (counts: Iterable<number>, n: number) => {
  let h = 0
  for (const c of counts) if (c > 0) h -= (c / n) * Math.log2(c / n)
  return h
}

function brute(rows: boolean[][], labels: number[]) {
  const n = rows.length
  const key = (r: boolean[]) => r.map((b) => (b ? 1 : 0)).join('')
  const a = new Map<string, number>()
  const l = new Map<number, number>()
  const al = new Map<string, number>()
  rows.forEach((r, i) => {
    a.set(key(r), (a.get(key(r)) ?? 0) + 1)
    l.set(labels[i]!, (l.get(labels[i]!) ?? 0) + 1)
    const k = `${key(r)}|${labels[i]}`
    al.set(k, (al.get(k) ?? 0) + 1)
  })
  // H(A|L) = sum_l p(l) H(A | L = l), computed directly rather than through H(A,L) - H(L)
  let conditional = 0
  for (const [label, cl] of l) {
    const within = new Map<string, number>()
    rows.forEach((r, i) => {
      if (labels[i] === label) within.set(key(r), (within.get(key(r)) ?? 0) + 1)
    })
    conditional += (cl / n) * H(within.values(), cl)
  }
  return { conditional, mi: H(a.values(), n) - conditional }
}

describe('patternHistogram with labels', () => {
  test('H(A|L) and I(A;L) equal brute force', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }).chain((u) =>
          fc
            .tuple(
              fc.constant(u),
              boolRows(u, 120).filter((r) => r.length > 0),
            )
            .chain(([u2, rows]) =>
              fc.tuple(
                fc.constant(u2),
                fc.constant(rows),
                fc.array(fc.integer({ min: -2, max: 3 }), { minLength: rows.length, maxLength: rows.length }),
              ),
            ),
        ),
        fc.integer({ min: 1, max: 3 }),
        ([units, rows, labels], parts) => {
          const h = patternHistogram()
          let s = h.init(layoutOf(units))
          const size = Math.ceil(rows.length / parts)
          for (let i = 0; i < rows.length; i += size) s = h.update(s, batchOf(rows.slice(i, i + size), units, 0, labels.slice(i, i + size)))
          const got = h.result(s)
          const want = brute(rows, labels)
          expect(got.conditionalEntropy).toBeCloseTo(want.conditional, 10)
          expect(got.mutualInformation).toBeCloseTo(want.mi, 10)
        },
      ),
    )
  })

  test('hand-worked: a pattern that determines the label carries all of H(L)', () => {
    const a = [true, false]
    const b = [false, true]
    const h = patternHistogram()
    const got = h.result(h.update(h.init(layoutOf(2)), batchOf([a, a, b, b], 2, 0, [7, 7, 9, 9])))
    expect(got.conditionalEntropy).toBe(0)
    expect(got.mutualInformation).toBeCloseTo(1, 12)
  })

  test('null unless every row is labelled', () => {
    const h = patternHistogram()
    let s = h.update(h.init(layoutOf(2)), batchOf([[true, true]], 2, 0, [1]))
    expect(h.result(s).conditionalEntropy).toBe(0)
    s = h.update(s, batchOf([[true, false]], 2))
    expect(h.result(s)).toMatchObject({ conditionalEntropy: null, mutualInformation: null })
  })
})

describe("the reference's label measures", () => {
  test('uniform class prior: H(A|L) = H(A,L) - log2(classes); normalised as the reference does', () => {
    // 6 rows, 3-bit patterns, imbalanced labels (4 of class 0, 2 of class 1)
    const rows = [
      [1, 0, 0],
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
      [1, 1, 0],
      [1, 1, 0],
    ].map((r) => r.map(Boolean))
    const labels = [0, 0, 0, 0, 1, 1]
    const h = (counts: number[], n: number) => -counts.reduce((s, c) => s + (c / n) * Math.log2(c / n), 0)
    const joint = h([2, 1, 1, 2], 6)
    const hA = h([2, 1, 1, 2], 6)
    for (const prior of ['empirical', 'uniform'] as const) {
      const r = patternHistogram({ classPrior: prior })
      const got = r.result(r.update(r.init(layoutOf(3)), batchOf(rows, 3, 0, labels)))
      const hL = prior === 'uniform' ? Math.log2(2) : h([4, 2], 6)
      const cond = prior === 'uniform' ? joint - hL : Math.max(0, joint - hL)
      expect(got.conditionalEntropy).toBeCloseTo(cond, 12)
      expect(got.mutualInformation).toBeCloseTo(hA - cond, 12)
      expect(got.classes).toBe(2)
      if (prior === 'uniform') {
        // the reference's normalisers
        const maxCond = Math.min(3, Math.log2(6 / 2))
        expect(got.normalizedConditionalEntropy).toBeCloseTo(cond / maxCond, 12)
        expect(got.normalizedMutualInformation).toBeCloseTo((hA - cond) / (Math.min(3, Math.log2(6)) - maxCond), 12)
      } else {
        // true bounds: sum_l p_l min(C, log2 n_l), and min(H(L), max H(A))
        expect(got.normalizedConditionalEntropy).toBeCloseTo(cond / ((4 / 6) * 2 + (2 / 6) * 1), 12)
        expect(got.normalizedMutualInformation).toBeCloseTo((hA - cond) / Math.min(hL, Math.log2(6)), 12)
      }
      expect(got.patternShare).toBeCloseTo(4 / 6, 12)
    }
    expect(() => patternHistogram({ classPrior: 'flat' as never })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
  })
})

test('with the empirical prior the normalised label measures stay within [0, 1]', () => {
  fc.assert(
    fc.property(
      fc
        .integer({ min: 1, max: 6 })
        .chain((u) =>
          fc.tuple(fc.constant(u), boolRows(u, 60), fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 60, maxLength: 60 })),
        ),
      ([units, rows, labels]) => {
        fc.pre(rows.length > 0)
        const r = patternHistogram()
        const got = r.result(r.update(r.init(layoutOf(units)), batchOf(rows, units, 0, labels.slice(0, rows.length))))
        for (const v of [got.normalizedConditionalEntropy, got.normalizedMutualInformation]) {
          if (v !== null) {
            expect(v).toBeGreaterThanOrEqual(0)
            expect(v).toBeLessThanOrEqual(1 + 1e-12)
          }
        }
      },
    ),
  )
})
