import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { cloneTable, createTable, slotBytes, tableAdd, tableForEach, tableGet } from '../../src/bits/pattern-table.js'
import { hashWords } from '../../src/index.js'

const key = (words: Uint32Array, offset: number, wpr: number): string => Array.from(words.subarray(offset, offset + wpr)).join(',')

describe('pattern table', () => {
  test('counts equal a Map keyed on strings, for any patterns', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        // few distinct values so that repeats are common
        fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 600 }),
        (wpr, seeds) => {
          const words = new Uint32Array(seeds.length * wpr)
          seeds.forEach((s, r) => {
            for (let w = 0; w < wpr; w++) words[r * wpr + w] = (Math.imul(s + 1, 2654435761 + w) >>> 0) & (s % 2 === 0 ? 0xffffffff : 0x3)
          })
          const t = createTable(wpr)
          const expected = new Map<string, number>()
          for (let r = 0; r < seeds.length; r++) {
            expect(tableAdd(t, words, r * wpr, 1, Number.POSITIVE_INFINITY)).toBe(true)
            const k = key(words, r * wpr, wpr)
            expected.set(k, (expected.get(k) ?? 0) + 1)
          }
          expect(t.size).toBe(expected.size)
          const got = new Map<string, number>()
          tableForEach(t, (slot, c) => got.set(key(t.keys, slot * wpr, wpr), c))
          expect(got).toEqual(expected)
          for (let r = 0; r < seeds.length; r++) {
            expect(tableGet(t, words, r * wpr)).toBe(expected.get(key(words, r * wpr, wpr)))
          }
          expect(tableGet(t, new Uint32Array(wpr).fill(0xdeadbeef), 0)).toBe(0)
        },
      ),
    )
  })

  test('grows by doubling and stays below the byte cap', () => {
    const wpr = 2
    const cap = 64 * slotBytes(wpr)
    const t = createTable(wpr)
    const words = new Uint32Array(2)
    let refused = 0
    for (let i = 0; i < 200; i++) {
      words[0] = i
      words[1] = i * 7
      if (!tableAdd(t, words, 0, 1, cap)) refused++
    }
    expect(t.capacity).toBe(64)
    expect(t.size).toBe(56) // 7/8 of 64
    expect(refused).toBe(200 - 56)
    // known patterns still count when the table is full
    words[0] = 3
    words[1] = 21
    expect(tableAdd(t, words, 0, 5, cap)).toBe(true)
    expect(tableGet(t, words, 0)).toBe(6)
  })

  test('clone is deep', () => {
    const t = createTable(1)
    tableAdd(t, new Uint32Array([9]), 0, 1, Infinity)
    const c = cloneTable(t)
    tableAdd(c, new Uint32Array([9]), 0, 1, Infinity)
    expect(tableGet(t, new Uint32Array([9]), 0)).toBe(1)
    expect(tableGet(c, new Uint32Array([9]), 0)).toBe(2)
  })

  test('hash depends on every word and on the offset only through the words', () => {
    const a = new Uint32Array([1, 2, 3])
    expect(hashWords(a, 1, 2)).toBe(hashWords(new Uint32Array([2, 3]), 0, 2))
    expect(hashWords(a, 0, 2)).not.toBe(hashWords(new Uint32Array([1, 3]), 0, 2))
  })
})
