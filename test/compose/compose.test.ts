import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { derive, layoutOf, patternHistogram, splitBy, unitStats, windowed } from '../../src/index.js'
import { batchOf, boolRows } from '../helpers/batches.js'
import { expectClose } from '../helpers/close.js'

const units = 6
const rowsArb = boolRows(units, 50)

describe('derive', () => {
  test('computes from the parts, which see the same batches', () => {
    fc.assert(
      fc.property(rowsArb, rowsArb, (a, b) => {
        const d = derive({ u: unitStats(), h: patternHistogram() }, (r) => ({ x: r.u.meanEntropy * r.h.normalizedEntropy, rows: r.h.rows }))
        const s = d.update(d.update(d.init(layoutOf(units)), batchOf(a, units)), batchOf(b, units))
        const u = unitStats()
        const h = patternHistogram()
        const all = batchOf([...a, ...b], units)
        const want =
          u.result(u.update(u.init(layoutOf(units)), all)).meanEntropy * h.result(h.update(h.init(layoutOf(units)), all)).normalizedEntropy
        expect(d.result(s).x).toBeCloseTo(want, 12)
        expect(d.result(s).rows).toBe(a.length + b.length)
      }),
    )
  })
})

describe('splitBy', () => {
  test("by 'label' equals running the reducer on each label's rows alone", () => {
    fc.assert(
      fc.property(
        rowsArb.chain((rows) =>
          fc.tuple(fc.constant(rows), fc.array(fc.integer({ min: 0, max: 3 }), { minLength: rows.length, maxLength: rows.length })),
        ),
        ([rows, labels]) => {
          const split = splitBy(patternHistogram(), 'label')
          const got = split.result(split.update(split.init(layoutOf(units)), batchOf(rows, units, 0, labels)))
          const h = patternHistogram()
          const want: Record<string, unknown> = {}
          for (const l of [...new Set(labels)].sort()) {
            const mine = rows.filter((_, i) => labels[i] === l)
            want[String(l)] = h.result(
              h.update(
                h.init(layoutOf(units)),
                batchOf(
                  mine,
                  units,
                  0,
                  mine.map(() => l),
                ),
              ),
            )
          }
          expectClose(got, want)
        },
      ),
    )
  })

  test('by a row key, and rows without labels go to "unlabeled"', () => {
    const rows = [
      [true, false, false, false, false, false],
      [false, true, false, false, false, false],
      [true, true, false, false, false, false],
    ]
    const byFirstUnit = splitBy(unitStats(), (b, r) => b.words[r * b.wordsPerRow]! & 1)
    const r = byFirstUnit.result(byFirstUnit.update(byFirstUnit.init(layoutOf(units)), batchOf(rows, units)))
    expect(Object.keys(r)).toEqual(['0', '1'])
    expect(r['1']!.rows).toBe(2)
    expect(Array.from(r['1']!.frequency.slice(0, 2))).toEqual([1, 0.5])
    const byLabel = splitBy(unitStats(), 'label')
    expect(Object.keys(byLabel.result(byLabel.update(byLabel.init(layoutOf(units)), batchOf(rows, units))))).toEqual(['unlabeled'])
  })
})

describe('windowed', () => {
  test('results cover only the last k batches', () => {
    fc.assert(
      fc.property(fc.array(rowsArb, { minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 4 }), (batches, k) => {
        const w = windowed(unitStats(), { batches: k })
        let s = w.init(layoutOf(units))
        for (const b of batches) s = w.update(s, batchOf(b, units))
        const u = unitStats()
        const want = u.result(u.update(u.init(layoutOf(units)), batchOf(batches.slice(-k).flat(), units)))
        expectClose(w.result(s), want)
      }),
    )
  })

  test('bad window is INVALID_OPTION', () => {
    expect(() => windowed(unitStats(), { batches: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
  })
})
