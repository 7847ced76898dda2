import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { afterEach, describe, expect, test } from 'vitest'
import { getBit, packRows } from '../../src/index.js'
import { useKernel } from '../../src/bits/kernel.js'
// @ts-expect-error: a plain script without types
import { kernelModule } from '../../scripts/wasm.mjs'

afterEach(() => void useKernel(true))

/** Any float32, with the special values often. */
const value = fc.oneof(
  { weight: 6, arbitrary: fc.float({ noDefaultInfinity: true, noNaN: true }) },
  { weight: 1, arbitrary: fc.float() },
  { weight: 1, arbitrary: fc.constantFrom(0, -0, Number.NaN, Infinity, -Infinity, 1e-45, -1e-45, 1.1754942e-38) },
)

/** Bit by bit: value > threshold, padding zero, and the non-finite count. */
function expectPacked(values: Float32Array, rows: number, units: number, threshold: number, out: Uint32Array, nonFinite: number): void {
  const wpr = Math.ceil(units / 32)
  let expected = 0
  for (let r = 0; r < rows; r++) {
    for (let u = 0; u < units; u++) {
      const v = values[r * units + u]!
      if (getBit(out, r, wpr, u) !== v > threshold) throw new Error(`row ${r} unit ${u}: ${v} > ${threshold} read ${!(v > threshold)}`)
      if (!Number.isFinite(v)) expected++
    }
    for (let u = units; u < wpr * 32; u++) expect(getBit(out, r, wpr, u)).toBe(false)
  }
  expect(nonFinite).toBe(expected)
}

describe('the WebAssembly packing kernel', () => {
  test('the committed bytes are kernel.wat compiled', async () => {
    const committed = readFileSync(new URL('../../src/bits/kernel-bytes.ts', import.meta.url), 'utf8')
    expect(committed).toBe(await kernelModule())
  })

  test('loads here (so the tests below cover it, not only the JavaScript packer)', () => {
    expect(useKernel(true)).toBe(true)
  })

  test('kernel, JavaScript packer and brute force agree for any float32 threshold', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 140 }),
        fc.integer({ min: 0, max: 6 }),
        fc.oneof(fc.constant(0), fc.constant(-0), fc.float({ noNaN: true }), fc.constantFrom(1e-45, -1e-45, Infinity, -Infinity)),
        fc.infiniteStream(value),
        (units, rows, threshold, stream) => {
          const values = Float32Array.from(stream.take(units * rows))
          const wpr = Math.ceil(units / 32)
          const kernel = new Uint32Array(rows * wpr).fill(0xffffffff)
          useKernel(true)
          const nfKernel = packRows(values, rows, units, kernel, threshold)
          expectPacked(values, rows, units, threshold, kernel, nfKernel)
          useKernel(false)
          const js = new Uint32Array(rows * wpr).fill(0xffffffff)
          expect(packRows(values, rows, units, js, threshold)).toBe(nfKernel)
          expect(js).toEqual(kernel)
        },
      ),
      { numRuns: 300 },
    )
  })

  test('inputs larger than one chunk: many rows, and one row longer than a chunk', () => {
    const shapes: [rows: number, units: number][] = [
      [3001, 301],
      [2, 300_007],
      [5000, 64],
    ]
    for (const [rows, units] of shapes) {
      const values = new Float32Array(rows * units)
      let s = rows | 0
      for (let i = 0; i < values.length; i++) {
        s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) | 0
        values[i] = s / 2 ** 31
      }
      values[values.length - 1] = Number.NaN
      values[7] = -Infinity
      const out = new Uint32Array(rows * Math.ceil(units / 32))
      expectPacked(values, rows, units, 0.25, out, packRows(values, rows, units, out, 0.25))
    }
  })

  test('a view into a larger buffer is read from its own offset', () => {
    const buffer = Float32Array.from({ length: 200 }, (_, i) => (i % 3 === 0 ? 1 : -1))
    const view = buffer.subarray(5, 5 + 3 * 50)
    const out = new Uint32Array(3 * 2)
    expectPacked(view, 3, 50, 0, out, packRows(view, 3, 50, out))
  })
})
