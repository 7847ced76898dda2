import fc from 'fast-check'
import { expect, test } from 'vitest'
import {
  createHyperLogLog,
  hyperLogLogAdd,
  hyperLogLogError,
  hyperLogLogEstimate,
  hyperLogLogMerge,
  isHyperLogLog,
} from '../../src/bits/hyperloglog.js'

/** Adds patterns 0..n-1 (offset by `start`) of `wpr` words each; every pattern distinct. */
function addRange(s: ReturnType<typeof createHyperLogLog>, start: number, n: number, wpr: number, repeat = 1): void {
  const words = new Uint32Array(wpr)
  for (let i = start; i < start + n; i++) {
    words[0] = i
    if (wpr > 1) words[wpr - 1] = Math.imul(i, 2654435761) >>> 0 // a pattern wider than one word
    for (let r = 0; r < repeat; r++) hyperLogLogAdd(s, words, 0, wpr)
  }
}

test('empty sketch estimates 0; small counts are near exact (the linear-counting range)', () => {
  const s = createHyperLogLog()
  expect(hyperLogLogEstimate(s)).toBe(0)
  addRange(s, 0, 1, 1)
  expect(hyperLogLogEstimate(s)).toBeCloseTo(1, 2)
  const t = createHyperLogLog()
  addRange(t, 0, 1000, 2, 3) // repeats do not count
  expect(Math.abs(hyperLogLogEstimate(t) / 1000 - 1)).toBeLessThan(0.01)
})

test('relative error within 4 standard errors from 10^3 to 3*10^6 distinct, for 1- to 128-word patterns', () => {
  const se = hyperLogLogError(16)
  expect(se).toBeCloseTo(0.0040625, 6)
  for (const [n, wpr] of [
    [1_000, 1],
    [50_000, 4],
    [300_000, 128],
    [3_000_000, 2],
  ] as const) {
    const s = createHyperLogLog()
    addRange(s, 7, n, wpr)
    expect(Math.abs(hyperLogLogEstimate(s) / n - 1), `n=${n} wpr=${wpr}`).toBeLessThan(4 * se)
  }
})

test('the error over independent streams has the stated spread (precision 10: 3.25%)', () => {
  // 40 sketches of 20,000 distinct each: the observed RMS relative error must be near 1.04/sqrt(1024)
  const errors: number[] = []
  for (let k = 0; k < 40; k++) {
    const s = createHyperLogLog(10)
    addRange(s, k * 1_000_000, 20_000, 1)
    errors.push(hyperLogLogEstimate(s) / 20_000 - 1)
  }
  const rms = Math.sqrt(errors.reduce((a, e) => a + e * e, 0) / errors.length)
  expect(rms).toBeGreaterThan(0.5 * hyperLogLogError(10))
  expect(rms).toBeLessThan(1.6 * hyperLogLogError(10))
})

test('merge equals the sketch of the union, and is commutative, associative and idempotent', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 3000 })), { minLength: 1, maxLength: 4 }),
      (parts) => {
        const whole = createHyperLogLog(12)
        const sketches = parts.map(([start, n]) => {
          const s = createHyperLogLog(12)
          addRange(s, start, n, 2)
          addRange(whole, start, n, 2)
          return s
        })
        const merged = createHyperLogLog(12)
        for (const s of sketches) hyperLogLogMerge(merged, s)
        expect(merged.registers).toEqual(whole.registers)
        const reversed = createHyperLogLog(12)
        for (const s of [...sketches].reverse()) hyperLogLogMerge(reversed, s)
        hyperLogLogMerge(reversed, sketches[0]!)
        expect(reversed.registers).toEqual(whole.registers)
      },
    ),
    { numRuns: 30 },
  )
})

test('isHyperLogLog refuses wrong precision, sizes and register values', () => {
  const s = createHyperLogLog(8)
  expect(isHyperLogLog(s, 8)).toBe(true)
  expect(isHyperLogLog(s, 9)).toBe(false)
  expect(isHyperLogLog({ p: 8, registers: new Uint8Array(255) }, 8)).toBe(false)
  expect(isHyperLogLog({ p: 8, registers: [] }, 8)).toBe(false)
  s.registers[3] = 34
  expect(isHyperLogLog(s, 8)).toBe(false)
  s.registers[3] = 33
  expect(isHyperLogLog(s, 8)).toBe(true)
})
