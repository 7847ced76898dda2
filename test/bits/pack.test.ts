import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { getBit, packChannelsFirst, packRows, saturationThreshold } from '../../src/index.js'

const value = fc.oneof(
  { weight: 8, arbitrary: fc.float({ noNaN: true, noDefaultInfinity: true }) },
  { weight: 1, arbitrary: fc.constantFrom(0, -0, Number.NaN, Infinity, -Infinity, 1e-45) },
)

describe('packRows', () => {
  test('each bit is value > 0 and padding bits are zero', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 0, max: 5 }), fc.infiniteStream(value), (units, rows, stream) => {
        const values = Float32Array.from(stream.take(units * rows))
        const wpr = Math.ceil(units / 32)
        const out = new Uint32Array(rows * wpr).fill(0xffffffff)
        const nonFinite = packRows(values, rows, units, out)
        let expectedNonFinite = 0
        for (let r = 0; r < rows; r++) {
          for (let u = 0; u < units; u++) {
            const v = values[r * units + u]!
            expect(getBit(out, r, wpr, u)).toBe(v > 0)
            if (!Number.isFinite(v)) expectedNonFinite++
          }
          for (let u = units; u < wpr * 32; u++) expect(getBit(out, r, wpr, u)).toBe(false)
        }
        expect(nonFinite).toBe(expectedNonFinite)
      }),
    )
  })

  test('hand-worked: 33 units span two words', () => {
    const v = new Float32Array(33)
    v[0] = 1
    v[31] = 2
    v[32] = 3
    const out = new Uint32Array(2)
    expect(packRows(v, 1, 33, out)).toBe(0)
    expect(out[0]).toBe(0x80000001)
    expect(out[1]).toBe(1)
  })
})

describe('fast and exact paths agree', () => {
  test('float32 data (fast path) and the same values as a plain array (exact path), any float32 threshold', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 80 }),
        fc.integer({ min: 1, max: 4 }),
        fc.oneof(fc.constant(0), fc.constant(6), fc.float({ min: 0, max: 10, noNaN: true })),
        fc.infiniteStream(value),
        (units, rows, threshold, stream) => {
          const f32 = Float32Array.from(stream.take(units * rows))
          const wpr = Math.ceil(units / 32)
          const fast = new Uint32Array(rows * wpr)
          const exact = new Uint32Array(rows * wpr)
          expect(packRows(f32, rows, units, fast, threshold)).toBe(packRows(Array.from(f32), rows, units, exact, threshold))
          expect(fast).toEqual(exact)
          for (let i = 0; i < f32.length; i++) {
            expect(getBit(fast, Math.floor(i / units), wpr, i % units)).toBe(f32[i]! > threshold)
          }
        },
      ),
    )
  })

  test('edge values: -0, denormals, NaN, Infinity, values next to the threshold', () => {
    const t = saturationThreshold(6)
    const v = Float32Array.from([-0, 0, 1e-45, -1e-45, Number.NaN, Infinity, -Infinity, 6, t, -6, 5.9999995, 6.0000005])
    const out = new Uint32Array(1)
    expect(packRows(v, 1, v.length, out)).toBe(3)
    expect(Array.from({ length: v.length }, (_, u) => getBit(out, 0, 1, u))).toEqual(Array.from(v, (x) => x > 0))
    expect(packRows(v, 1, v.length, out, t)).toBe(3)
    expect(Array.from({ length: v.length }, (_, u) => getBit(out, 0, 1, u))).toEqual(Array.from(v, (x) => x >= 6))
  })
})

describe('packChannelsFirst', () => {
  test('equals packRows of the channels-last transpose', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 7 }),
        fc.infiniteStream(value),
        (n, c, p, stream) => {
          const first = Float32Array.from(stream.take(n * c * p))
          const last = new Float32Array(n * c * p)
          for (let e = 0; e < n; e++)
            for (let ch = 0; ch < c; ch++)
              for (let pos = 0; pos < p; pos++) last[e * p * c + pos * c + ch] = first[e * c * p + ch * p + pos]!
          const wpr = Math.ceil(c / 32)
          const a = new Uint32Array(n * p * wpr).fill(7)
          const b = new Uint32Array(n * p * wpr)
          const nfA = packChannelsFirst(first, n, c, p, a)
          const nfB = packRows(last, n * p, c, b)
          expect(a).toEqual(b)
          expect(nfA).toBe(nfB)
        },
      ),
    )
  })
})

describe('threshold -0', () => {
  test('means > 0 on both packers (the fast path once read it as a negative bit pattern)', () => {
    const v = Float32Array.from([3.5e-36, -0, 0, -1, 2, 1e-45])
    const rows = new Uint32Array(1)
    packRows(v, 1, v.length, rows, -0)
    expect(Array.from(v, (_, u) => getBit(rows, 0, 1, u))).toEqual(Array.from(v, (x) => x > 0))
    const first = new Uint32Array(v.length)
    packChannelsFirst(v, 1, 1, v.length, first, -0)
    expect(Array.from(first)).toEqual(Array.from(v, (x) => (x > 0 ? 1 : 0)))
  })
})
