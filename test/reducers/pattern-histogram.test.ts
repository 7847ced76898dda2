import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { histogramEntropy, layoutOf, patternHistogram } from '../../src/index.js'
import { batchOf, boolRows } from '../helpers/batches.js'

const h = patternHistogram()

function brute(rows: boolean[][], units: number) {
  const counts = new Map<string, number>()
  for (const row of rows) {
    const k = row.map((b) => (b ? '1' : '0')).join('')
    counts.set(k, (counts.get(k) ?? 0) + 1)
  }
  const n = rows.length
  let entropy = 0
  for (const c of counts.values()) entropy -= (c / n) * Math.log2(c / n)
  const maxEntropy = n > 0 ? Math.min(units, Math.log2(n)) : 0
  const topCount = Math.max(0, ...counts.values())
  return { distinct: counts.size, entropy, maxEntropy, topCount, normalized: maxEntropy > 0 ? entropy / maxEntropy : 0 }
}

describe('patternHistogram', () => {
  test('equals a brute-force string histogram', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 70 }).chain((u) => fc.tuple(fc.constant(u), boolRows(u, 200), fc.integer({ min: 1, max: 4 }))),
        ([units, rows, parts]) => {
          // feed the rows in several batches
          let s = h.init(layoutOf(units))
          const size = Math.ceil(rows.length / parts)
          for (let i = 0; i < rows.length; i += size) s = h.update(s, batchOf(rows.slice(i, i + size), units))
          const got = h.result(s)
          const want = brute(rows, units)
          expect(got.rows).toBe(rows.length)
          expect(got.distinct).toBe(want.distinct)
          expect(got.entropy).toBeCloseTo(want.entropy, 10)
          expect(got.maxEntropy).toBeCloseTo(want.maxEntropy, 12)
          expect(got.normalizedEntropy).toBeCloseTo(want.normalized, 10)
          expect(got.topCount).toBe(want.topCount)
          expect(got.topShare).toBe(rows.length ? want.topCount / rows.length : 0)
          expect(got.exact).toBe(true)
        },
      ),
    )
  })

  test('hand-worked: 4 rows, patterns {a, a, b, c}', () => {
    const a = [true, false, true]
    const b = [false, false, false]
    const c = [true, true, true]
    const got = h.result(h.update(h.init(layoutOf(3)), batchOf([a, a, b, c], 3)))
    expect(got.distinct).toBe(3)
    expect(got.entropy).toBeCloseTo(1.5, 12)
    expect(got.maxEntropy).toBe(2)
    expect(got.normalizedEntropy).toBeCloseTo(0.75, 12)
    expect(got.topCount).toBe(2)
    expect(histogramEntropy([2, 1, 1], 4)).toBeCloseTo(1.5, 12)
  })

  test('maxEntropy is capped by units', () => {
    const rows = Array.from({ length: 64 }, (_, i) => [i % 2 === 0, i % 4 < 2])
    const got = h.result(h.update(h.init(layoutOf(2)), batchOf(rows, 2)))
    expect(got.maxEntropy).toBe(2)
    expect(got.entropy).toBeCloseTo(2, 12)
    expect(got.normalizedEntropy).toBeCloseTo(1, 12)
  })

  test('a full table says exact: false and counts untracked patterns', () => {
    const small = patternHistogram({ maxBytes: 16 * 16 })
    const rows = Array.from({ length: 100 }, (_, i) => Array.from({ length: 8 }, (_, b) => ((i >> b) & 1) === 1))
    const got = small.result(small.update(small.init(layoutOf(8)), batchOf(rows, 8)))
    expect(got.exact).toBe(false)
    expect(got.distinct).toBe(14) // 7/8 of 16 slots
    expect(got.untracked).toBe(86)
    expect(got.rows).toBe(100)
    // every pattern is distinct, so the estimate treating untracked ones as singletons is exact here
    expect(got.entropy).toBeCloseTo(Math.log2(100), 10)
  })

  test('empty state gives zeros, never NaN', () => {
    expect(h.result(h.init(layoutOf(4)))).toMatchObject({
      rows: 0,
      distinct: 0,
      entropy: 0,
      maxEntropy: 0,
      normalizedEntropy: 0,
      topCount: 0,
      topShare: 0,
      exact: true,
    })
  })

  test('bad maxBytes is an INVALID_OPTION error', () => {
    for (const maxBytes of [-1, 0, Number.NaN, '1' as never]) {
      expect(() => patternHistogram({ maxBytes })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
    }
  })

  test('the cap bounds the whole state, labels included; untracked never exceeds rows', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 300, max: 6000 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 4095 }), fc.integer({ min: 0, max: 9 })), { minLength: 1, maxLength: 600 }),
        fc.integer({ min: 1, max: 4 }),
        (maxBytes, pairs, parts) => {
          const r = patternHistogram({ maxBytes })
          const rows = pairs.map(([p]) => Array.from({ length: 12 }, (_, b) => ((p >> b) & 1) === 1))
          const labels = pairs.map(([, l]) => l)
          const size = Math.ceil(rows.length / parts)
          const states = []
          for (let i = 0; i < rows.length; i += size)
            states.push(r.update(r.init(layoutOf(12)), batchOf(rows.slice(i, i + size), 12, 0, labels.slice(i, i + size))))
          const merged = states.reduce((a, b) => r.merge(a, b))
          for (const s of [...states, merged]) {
            const got = r.result(s)
            expect(got.bytes).toBeLessThanOrEqual(maxBytes)
            expect(got.untracked).toBeLessThanOrEqual(got.rows)
            expect(got.untrackedLabeled).toBeLessThanOrEqual(got.rows)
            expect(got.distinct + got.untracked).toBeGreaterThanOrEqual(Math.min(got.rows, 1))
            if (got.exact) {
              // exact readings equal brute force
              const want = brute(rows.slice(0, got.rows), 12)
              if (s === merged) expect(got.distinct).toBe(want.distinct)
              expect(got.conditionalEntropy).not.toBeNull()
            } else if (got.untrackedLabeled > 0) {
              expect(got.conditionalEntropy).toBeNull()
            }
          }
          expect(r.result(merged).rows).toBe(rows.length)
        },
      ),
    )
  })

  test('64 KiB with labels holds at most 64 KiB', () => {
    const r = patternHistogram({ maxBytes: 64 * 1024 })
    const rows = Array.from({ length: 5000 }, (_, i) => Array.from({ length: 16 }, (_, b) => ((i >> b) & 1) === 1))
    const s = r.update(
      r.init(layoutOf(16)),
      batchOf(
        rows,
        16,
        0,
        rows.map((_, i) => i % 10),
      ),
    )
    const got = r.result(s)
    expect(got.bytes).toBeLessThanOrEqual(64 * 1024)
    expect(got.exact).toBe(false)
    expect(got.untracked).toBeLessThanOrEqual(5000)
    expect(got.distinct + got.untracked).toBe(5000)
  })
})

test('histogramEntropy has the same bits in any order of the counts (merged tables are ordered otherwise)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 4000, max: 1e7 })), { minLength: 1, maxLength: 60 }),
      fc.integer(),
      (counts, seed) => {
        const total = counts.reduce((a, b) => a + b, 0)
        const shuffled = [...counts]
        let s = seed
        for (let i = shuffled.length - 1; i > 0; i--) {
          s = (Math.imul(s, 1103515245) + 12345) | 0
          const j = (s >>> 0) % (i + 1)
          ;[shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!]
        }
        expect(Object.is(histogramEntropy(shuffled, total), histogramEntropy(counts, total))).toBe(true)
      },
    ),
    { numRuns: 300 },
  )
})
