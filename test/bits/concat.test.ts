import fc from 'fast-check'
import { expect, test } from 'vitest'
import { concatRows, orBits } from '../../src/bits/concat.js'
import { batchOf, boolRows } from '../helpers/batches.js'

test('concatRows equals concatenating the bits one by one', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 70 }).chain((u) => fc.tuple(fc.constant(u), boolRows(u, 9))),
      ([units, rows]) => {
        const packed = batchOf(rows, units).words
        const dense = concatRows(packed, 0, rows.length, units)
        const bits = rows.flat()
        expect(dense.length).toBe(Math.ceil(bits.length / 32))
        bits.forEach((on, i) => expect(((dense[i >>> 5]! >>> (i & 31)) & 1) === 1).toBe(on))
        // padding above the last bit stays zero
        if (bits.length % 32 !== 0 && dense.length > 0) expect(dense[dense.length - 1]! >>> (bits.length % 32)).toBe(0)
      },
    ),
  )
})

const bitAt = (words: Uint32Array, i: number): boolean => ((words[i >>> 5]! >>> (i & 31)) & 1) === 1

test('orBits places any run of bits at any offset, leaving the other bits alone', () => {
  fc.assert(
    fc.property(
      fc.array(fc.boolean(), { minLength: 1, maxLength: 150 }),
      fc.nat(100),
      fc.array(fc.boolean(), { maxLength: 80 }),
      (bits, pad, before) => {
        const words = batchOf([bits], bits.length).words
        const at = before.length + pad
        const dst = new Uint32Array(Math.ceil((at + bits.length) / 32) + 1)
        before.forEach((b, i) => {
          if (b) dst[i >>> 5] = (dst[i >>> 5]! | (1 << (i & 31))) >>> 0
        })
        orBits(words, 0, bits.length, dst, at)
        for (let i = 0; i < dst.length * 32; i++) {
          const want = i < before.length ? before[i]! : i >= at && i < at + bits.length ? bits[i - at]! : false
          expect(bitAt(dst, i)).toBe(want)
        }
      },
    ),
  )
})
