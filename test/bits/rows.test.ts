import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { hashRows, hashWords } from '../../src/bits/hash.js'
import { copyRow, sameRow } from '../../src/bits/rows.js'

const rowsOf = fc
  .tuple(fc.integer({ min: 1, max: 70 }), fc.integer({ min: 0, max: 13 }))
  .chain(([wpr, rows]) => fc.tuple(fc.constant(wpr), fc.constant(rows), fc.uint32Array({ minLength: wpr * rows, maxLength: wpr * rows })))

describe('rows of words', () => {
  test('hashRows gives every row the hash hashWords gives it, whatever the count of rows modulo 4', () => {
    fc.assert(
      fc.property(rowsOf, ([wpr, rows, words]) => {
        const out = new Uint32Array(rows + 1).fill(7)
        hashRows(words, rows, wpr, out)
        for (let r = 0; r < rows; r++) expect(out[r]).toBe(hashWords(words, r * wpr, wpr))
        expect(out[rows]).toBe(7)
      }),
    )
  })

  test('sameRow finds a difference in any one bit of any word, and equal rows equal', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 70 }), fc.nat(), fc.integer({ min: 0, max: 31 }), fc.nat(5), (n, at, bit, shift) => {
        const a = new Uint32Array(n + shift)
        for (let i = 0; i < a.length; i++) a[i] = Math.imul(i + 1, 2654435761) >>> 0
        const b = new Uint32Array(n + 3)
        b.set(a.subarray(shift, shift + n), 3)
        expect(sameRow(a, shift, b, 3, n)).toBe(true)
        b[3 + (at % n)]! ^= 1 << bit
        expect(sameRow(a, shift, b, 3, n)).toBe(false)
        expect(sameRow(b, 3, a, shift, n)).toBe(false)
      }),
    )
  })

  test('copyRow copies exactly the n words asked for, narrow and wide', () => {
    for (const n of [1, 3, 15, 16, 17, 128]) {
      const from = Uint32Array.from({ length: n + 4 }, (_, i) => i + 1)
      const to = new Uint32Array(n + 6)
      copyRow(from, 2, to, 3, n)
      expect(Array.from(to)).toEqual([0, 0, 0, ...Array.from(from.subarray(2, 2 + n)), 0, 0, 0])
    }
  })
})
