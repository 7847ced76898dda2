import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { addColumnCounts } from '../../src/bits/column-counts.js'
import { useKernel } from '../../src/bits/kernel.js'

/** The per-bit loop the bit-sliced counter replaces. */
function bruteForce(words: Uint32Array, rows: number, wpr: number, units: number): number[] {
  const on = new Array<number>(units).fill(0)
  for (let r = 0; r < rows; r++) for (let u = 0; u < units; u++) on[u]! += (words[r * wpr + (u >>> 5)]! >>> (u & 31)) & 1
  return on
}

// both counters: the WebAssembly kernel (which must load here) and the JavaScript one
describe.each([
  ['the WebAssembly kernel', true],
  ['JavaScript', false],
] as const)('%s', (_, kernel) => {
  beforeAll(() => expect(useKernel(kernel)).toBe(kernel))
  afterAll(() => void useKernel(true))

  test('equals the per-bit loop for any rows, widths and unit counts (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        (units, rows, seed) => {
          const wpr = Math.ceil(units / 32)
          const words = new Uint32Array(rows * wpr)
          let s = seed
          for (let i = 0; i < words.length; i++) words[i] = s = (Math.imul(s ^ (s >>> 15), 2246822519) + i) >>> 0
          // bits past `units` in the last word are noise that must not be counted
          const on = new Float64Array(units).fill(3)
          addColumnCounts(on, words, rows, wpr, units)
          expect(Array.from(on)).toEqual(bruteForce(words, rows, wpr, units).map((c) => c + 3))
        },
      ),
      { numRuns: 300 },
    )
  })

  test('counts past the planes capacity (flushes) exactly: 600,003 rows, all ones and a pattern', () => {
    const rows = 600_003
    const wpr = 2
    const words = new Uint32Array(rows * wpr)
    for (let r = 0; r < rows; r++) {
      words[r * wpr] = 0xffffffff
      words[r * wpr + 1] = r % 3 === 0 ? 0x80000001 : 0
    }
    const on = new Float64Array(64)
    addColumnCounts(on, words, rows, wpr, 64)
    expect(on[0]).toBe(rows)
    expect(on[31]).toBe(rows)
    expect(on[32]).toBe(200_001)
    expect(on[63]).toBe(200_001)
    expect(on[40]).toBe(0)
  })

  test('rows of any width share vectors: 1 to 9 and 17 words per row, across chunks', () => {
    for (const wpr of [1, 2, 3, 4, 5, 6, 7, 8, 9, 17]) {
      const units = 32 * wpr - 5
      const rows = 40_000 + wpr
      const words = new Uint32Array(rows * wpr + 7).fill(0xffffffff) // words past the rows are not read
      let s = wpr
      for (let i = 0; i < rows * wpr; i++) words[i] = s = (Math.imul(s ^ (s >>> 13), 0x5bd1e995) + i) >>> 0
      const on = new Float64Array(units)
      addColumnCounts(on, words, rows, wpr, units)
      expect(Array.from(on)).toEqual(bruteForce(words, rows, wpr, units))
    }
  })

  test('wide rows: 256 kernel rows per call (300 words), and past the widest kernel row (1,025 words)', () => {
    for (const wpr of [300, 1025]) {
      const units = 32 * wpr - 3
      const rows = 601
      const words = new Uint32Array(rows * wpr)
      let s = wpr
      for (let i = 0; i < words.length; i++) words[i] = s = (Math.imul(s ^ (s >>> 13), 0x5bd1e995) + i) >>> 0
      const on = new Float64Array(units)
      addColumnCounts(on, words, rows, wpr, units)
      expect(Array.from(on)).toEqual(bruteForce(words, rows, wpr, units))
    }
  })
})
