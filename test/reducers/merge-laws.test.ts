import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import {
  type AnyReducer,
  type InstrumentError,
  coverage,
  derive,
  dormant,
  hamming,
  layoutOf,
  patternHistogram,
  splitBy,
  unitStats,
} from '../../src/index.js'
import { batchOf, boolRows } from '../helpers/batches.js'
import { expectClose } from '../helpers/close.js'

const builtIns: [string, AnyReducer][] = [
  ['unitStats', unitStats()],
  ['patternHistogram', patternHistogram()],
  ['hamming', hamming()],
  ['hamming (sampled)', hamming({ maxPairs: 50 })],
  ['derive', derive({ u: unitStats(), h: patternHistogram() }, (r) => r)],
  ['splitBy', splitBy(patternHistogram(), (b, r) => b.words[r * b.wordsPerRow]! & 3)],
  ['dormant', dormant()],
  ['coverage', coverage({ threshold: 0.3, topK: 2 })],
  ['splitBy(dormant)', splitBy(dormant(), (b, r) => b.words[r * b.wordsPerRow]! & 1)],
]

describe.each(builtIns)('%s merge', (_name, r) => {
  const input = fc.integer({ min: 1, max: 40 }).chain((u) => fc.tuple(fc.constant(u), boolRows(u, 60), boolRows(u, 60), boolRows(u, 60)))

  test('merge(update(s0, a), update(s0, b)) has the result of update(update(s0, a), b)', () => {
    fc.assert(
      fc.property(input, ([units, a, b]) => {
        const l = layoutOf(units)
        const merged = r.merge(r.update(r.init(l), batchOf(a, units)), r.update(r.init(l), batchOf(b, units)))
        const serial = r.update(r.update(r.init(l), batchOf(a, units)), batchOf(b, units))
        expectClose(r.result(merged), r.result(serial))
      }),
    )
  })

  test('merge is commutative and associative and does not mutate its inputs', () => {
    fc.assert(
      fc.property(input, ([units, a, b, c]) => {
        const l = layoutOf(units)
        const sa = r.update(r.init(l), batchOf(a, units))
        const sb = r.update(r.init(l), batchOf(b, units))
        const sc = r.update(r.init(l), batchOf(c, units))
        const before = [r.result(sa), r.result(sb), r.result(sc)]
        expectClose(r.result(r.merge(sa, sb)), r.result(r.merge(sb, sa)))
        expectClose(r.result(r.merge(r.merge(sa, sb), sc)), r.result(r.merge(sa, r.merge(sb, sc))))
        expectClose([r.result(sa), r.result(sb), r.result(sc)], before)
      }),
    )
  })

  test('merging states of different widths is a LAYOUT_MISMATCH error', () => {
    expect(() => r.merge(r.init(layoutOf(3)), r.init(layoutOf(4)))).toThrow(
      expect.objectContaining({ code: 'LAYOUT_MISMATCH' }) as InstrumentError,
    )
  })
})
