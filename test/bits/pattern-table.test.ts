import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { cloneTable, createTable, slotBytes, tableAdd, tableAddRows, tableForEach, tableGet } from '../../src/bits/pattern-table.js'
import { hashWords } from '../../src/index.js'

const key = (words: Uint32Array, offset: number, wpr: number): string => Array.from(words.subarray(offset, offset + wpr)).join(',')

describe('pattern table', () => {
  test('counts equal a Map keyed on strings, for any patterns', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
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

describe('batches of narrow patterns (16 bits or fewer), counted directly first', () => {
  /** The same rows added one at a time: the reference. */
  const oneByOne = (wpr: number, batches: Uint32Array[], maxBytes: number) => {
    const t = createTable(wpr, 0)
    let refused = 0
    for (const b of batches) for (let r = 0; r < b.length; r++) if (!tableAdd(t, b, r, 1, maxBytes)) refused++
    return { t, refused }
  }

  test('give the same table, slot for slot, and the same refusals, as adding the rows one by one, capped or not', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc
            .tuple(fc.integer({ min: 1, max: 1200 }), fc.integer({ min: 1, max: 16 }), fc.nat())
            .map(([rows, bits, seed]) =>
              Uint32Array.from({ length: rows }, (_, i) => (Math.imul(i + 1, 2654435761 + seed) >>> (32 - bits)) & ((1 << bits) - 1)),
            ),
          { minLength: 1, maxLength: 5 },
        ),
        fc.constantFrom(Number.POSITIVE_INFINITY, 4096, 600, 100),
        (batches, maxBytes) => {
          const t = createTable(1, 0)
          let refused = 0
          for (const b of batches) refused += tableAddRows(t, b, b.length, maxBytes)
          const ref = oneByOne(1, batches, maxBytes)
          expect(refused).toBe(ref.refused)
          expect({ capacity: t.capacity, size: t.size }).toEqual({ capacity: ref.t.capacity, size: ref.t.size })
          expect(Array.from(t.keys)).toEqual(Array.from(ref.t.keys))
          expect(Array.from(t.hashes)).toEqual(Array.from(ref.t.hashes))
          expect(Array.from(t.counts)).toEqual(Array.from(ref.t.counts))
        },
      ),
      { numRuns: 150 },
    )
  })

  test('a batch with one value past 16 bits takes the row-by-row path, with the same result', () => {
    const b = Uint32Array.from({ length: 1000 }, (_, i) => i % 37)
    b[999] = 1 << 20
    const t = createTable(1, 0)
    tableAddRows(t, b, b.length, Number.POSITIVE_INFINITY)
    const ref = oneByOne(1, [b], Number.POSITIVE_INFINITY)
    expect(Array.from(t.counts)).toEqual(Array.from(ref.t.counts))
    expect(t.size).toBe(38)
  })
})

describe('batches of wide patterns (4 words or more), hashed four rows at a time', () => {
  test('give the same table, slot for slot, the same refusals and the same refused rows, as adding the rows one by one', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 90 }), fc.nat()), { minLength: 1, maxLength: 4 }),
        fc.constantFrom(Number.POSITIVE_INFINITY, 40_000, 4_000),
        (wpr, shapes, maxBytes) => {
          // few distinct rows, so that hits, misses and refusals all happen
          const batches = shapes.map(([rows, seed]) =>
            Uint32Array.from(
              { length: rows * wpr },
              (_, i) => Math.imul(((Math.floor(i / wpr) * 7 + seed) % 23) + 1, 2654435761 + (i % wpr)) >>> 0,
            ),
          )
          const t = createTable(wpr, 0)
          const seen: string[] = []
          let refused = 0
          for (const b of batches)
            refused += tableAddRows(t, b, b.length / wpr, maxBytes, (words, offset) => seen.push(key(words, offset, wpr)))
          const ref = createTable(wpr, 0)
          const refSeen: string[] = []
          let refRefused = 0
          for (const b of batches)
            for (let r = 0; r < b.length / wpr; r++)
              if (!tableAdd(ref, b, r * wpr, 1, maxBytes)) {
                refRefused++
                refSeen.push(key(b, r * wpr, wpr))
              }
          expect(refused).toBe(refRefused)
          expect(seen).toEqual(refSeen)
          expect({ capacity: t.capacity, size: t.size }).toEqual({ capacity: ref.capacity, size: ref.size })
          expect(Array.from(t.keys)).toEqual(Array.from(ref.keys))
          expect(Array.from(t.hashes)).toEqual(Array.from(ref.hashes))
          expect(Array.from(t.counts)).toEqual(Array.from(ref.counts))
        },
      ),
      { numRuns: 150 },
    )
  })

  test('a call made from onRefused gets hashes of its own (the outer batch is unharmed)', () => {
    const wpr = 4
    const rows = (n: number, salt: number) =>
      Uint32Array.from({ length: n * wpr }, (_, i) => Math.imul(Math.floor(i / wpr) + salt, 2654435761) >>> 0)
    // 20 distinct rows twice: the second time round, the rows the table holds are hits
    const outer = Uint32Array.from({ length: 40 * wpr }, (_, i) => Math.imul((Math.floor(i / wpr) % 20) + 1, 2654435761) >>> 0)
    const inner = createTable(wpr, 0)
    const capped = createTable(wpr, 0)
    // a cap that refuses part of the outer batch; each refusal adds a small batch to another table
    tableAddRows(capped, outer, 40, 16 * (4 * wpr + 12), () => tableAddRows(inner, rows(40, 1000), 40, Number.POSITIVE_INFINITY))
    const ref = createTable(wpr, 0)
    for (let r = 0; r < 40; r++) tableAdd(ref, outer, r * wpr, 1, 16 * (4 * wpr + 12))
    expect(Array.from(capped.hashes)).toEqual(Array.from(ref.hashes))
    expect(Array.from(capped.counts)).toEqual(Array.from(ref.counts))
    expect(inner.size).toBe(40)
  })
})
