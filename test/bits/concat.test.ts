import fc from 'fast-check'
import { expect, test } from 'vitest'
import { concatRows } from '../../src/bits/concat.js'
import { batchOf, boolRows } from '../helpers/batches.js'

test('concatRows equals concatenating the bits one by one', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 70 }).chain((u) => fc.tuple(fc.constant(u), boolRows(u, 9))), ([units, rows]) => {
      const packed = batchOf(rows, units).words
      const dense = concatRows(packed, 0, rows.length, units)
      const bits = rows.flat()
      expect(dense.length).toBe(Math.ceil(bits.length / 32))
      bits.forEach((on, i) => expect(((dense[i >>> 5]! >>> (i & 31)) & 1) === 1).toBe(on))
      // padding above the last bit stays zero
      if (bits.length % 32 !== 0 && dense.length > 0) expect(dense[dense.length - 1]! >>> (bits.length % 32)).toBe(0)
    }),
  )
})
