import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { INDEX_MIN_ROWS, hammingIndex, nearestPattern } from '../../src/bits/hamming-index.js'

/** Brute force: the smallest distance, bit by bit. */
function brute(words: Uint32Array, rows: number, units: number, query: Uint32Array): number {
  const wpr = Math.ceil(units / 32)
  let best = Number.POSITIVE_INFINITY
  for (let r = 0; r < rows; r++) {
    let d = 0
    for (let u = 0; u < units; u++) {
      const a = (words[r * wpr + (u >>> 5)]! >>> (u & 31)) & 1
      const b = (query[u >>> 5]! >>> (u & 31)) & 1
      if (a !== b) d++
    }
    best = Math.min(best, d)
  }
  return best
}

/** Random patterns near a few centres, so that near and far queries both occur. */
function patterns(seed: number, rows: number, units: number, flips: number): Uint32Array {
  const wpr = Math.ceil(units / 32)
  let x = seed >>> 0 || 1
  const next = (): number => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), x >>> 0)
  const centres = Array.from({ length: 4 }, () => Array.from({ length: units }, () => next() & 1))
  const out = new Uint32Array(rows * wpr)
  for (let r = 0; r < rows; r++) {
    const bits = [...centres[next() % 4]!]
    for (let f = 0; f < flips; f++) bits[next() % units]! ^= 1
    bits.forEach((b, u) => {
      if (b === 1) out[r * wpr + (u >>> 5)]! |= 1 << (u & 31)
    })
  }
  return out
}

describe('nearestPattern', () => {
  test('equals brute force, with and without the index', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 }),
        fc.integer({ min: 3, max: 90 }),
        fc.constantFrom(40, INDEX_MIN_ROWS + 300),
        fc.integer({ min: 0, max: 30 }),
        (seed, units, rows, flips) => {
          const wpr = Math.ceil(units / 32)
          const words = patterns(seed, rows, units, Math.min(flips, units))
          const index = hammingIndex(words, rows, units)
          expect(index.blocks === null).toBe(rows < INDEX_MIN_ROWS)
          const queries = patterns(seed + 1, 12, units, Math.min(flips + 3, units))
          for (let q = 0; q < 12; q++) {
            const query = queries.subarray(q * wpr, (q + 1) * wpr)
            const got = nearestPattern(index, query, 0)
            expect(got.distance).toBe(brute(words, rows, units, query))
            expect(brute(words.subarray(got.row * wpr, (got.row + 1) * wpr), 1, units, query)).toBe(got.distance)
          }
          // a stored pattern is at distance 0
          expect(nearestPattern(index, words, (rows - 1) * wpr).distance).toBe(0)
        },
      ),
      { numRuns: 25 },
    )
  })

  test('an empty set has no nearest pattern', () => {
    expect(nearestPattern(hammingIndex(new Uint32Array(0), 0, 10), new Uint32Array(1), 0)).toEqual({
      distance: Number.POSITIVE_INFINITY,
      row: -1,
    })
  })
})
