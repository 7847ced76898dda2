/* Row packing and per-unit counting with the WebAssembly SIMD kernel, with a JavaScript fallback. */
import { KERNEL } from './kernel-bytes.js'

/*
 * Row packing and per-unit counting with WebAssembly SIMD (kernel.wat): four comparisons and a bitmask per
 * instruction pair, several times faster than the best JavaScript loop. The values are
 * copied into the kernel's own memory in chunks (a plain memcpy), packed there, and the
 * words copied out. Where WebAssembly or its SIMD is missing (an old engine, a page whose
 * policy forbids compiling) the module fails to load once and the JavaScript packer does
 * the work; the bits are the same either way (the tests run both).
 */

interface Kernel {
  readonly memory: WebAssembly.Memory
  readonly pack: (input: number, rows: number, units: number, out: number, threshold: number) => number
  readonly nonFinite: (input: number, n: number) => number
  readonly columns: (input: number, rows: number, vectors: number, counts: number, planes: number, depth: number) => void
}

/** Values per call (128 KiB): the copy, the packing and the count then share the first caches, and the kernel's memory stays small. */
const CHUNK_VALUES = 1 << 15
const PAGE = 65536

/** Words per counting call (128 KiB). */
const CHUNK_WORDS = 1 << 15

let kernel: Kernel | null | undefined
let enabled = true

function load(): Kernel | null {
  try {
    const bytes = Uint8Array.from(atob(KERNEL), (c) => c.charCodeAt(0))
    const { exports } = new WebAssembly.Instance(new WebAssembly.Module(bytes))
    return exports as unknown as Kernel
  } catch {
    return null
  }
}

/** The kernel, loaded on first use; null where it cannot run (or after `useKernel(false)`). */
function getKernel(): Kernel | null {
  if (!enabled) return null
  if (kernel === undefined) kernel = typeof WebAssembly === 'object' && typeof atob === 'function' ? load() : null
  return kernel
}

/** Turns the kernel off (tests use it to check the JavaScript packer gives the same bits); returns whether it can run. */
export function useKernel(on: boolean): boolean {
  enabled = on
  return getKernel() !== null
}

/**
 * Packs like `packRows` for float32 values and a float32 threshold, with the kernel;
 * returns the number of non-finite values, or null when the kernel cannot run.
 */
export function packRowsKernel(values: Float32Array, rows: number, units: number, out: Uint32Array, threshold: number): number | null {
  const k = getKernel()
  if (k === null || units === 0) return k === null ? null : 0
  const wpr = (units + 31) >>> 5
  const perChunk = Math.max(1, Math.floor(CHUNK_VALUES / units))
  const outByte = perChunk * units * 4
  reserve(k, outByte + perChunk * wpr * 4)
  const f32 = new Float32Array(k.memory.buffer, 0, perChunk * units)
  const u32 = new Uint32Array(k.memory.buffer, outByte, perChunk * wpr)
  let nonFinite = 0
  for (let r = 0; r < rows; r += perChunk) {
    const n = Math.min(perChunk, rows - r)
    f32.set(values.subarray(r * units, (r + n) * units))
    if (k.pack(0, n, units, outByte, threshold) !== 0) nonFinite += k.nonFinite(0, n * units)
    out.set(n === perChunk ? u32 : u32.subarray(0, n * wpr), r * wpr)
  }
  return nonFinite
}

/** Grows the kernel's memory to at least `bytes`. */
function reserve(k: Kernel, bytes: number): void {
  const have = k.memory.buffer.byteLength
  if (have < bytes) k.memory.grow(Math.ceil((bytes - have) / PAGE))
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b))

/** Widest kernel row the counting kernel takes (words); wider rows are counted in JavaScript. */
const MAX_SPAN = 1024
/** Fewest kernel rows per counting call: below this, reading back the counters outweighs the counting. */
const MIN_ROWS_PER_CALL = 256

/**
 * Adds to `on[u]` the number of the `rows` packed rows whose bit `u` is set, like
 * `addColumnCounts`, with the kernel; returns false (adding nothing) when it cannot run,
 * or when rows are so wide that its calls would hold too few of them (kernel rows over
 * 1,024 words, about 32,768 units, where the JavaScript counter is as fast).
 *
 * The kernel adds 128-bit vectors, so rows are regrouped: a kernel row is the smallest
 * run of words that is both whole packed rows and whole vectors (`lcm(wordsPerRow, 4)`
 * words), and a word's unit follows from its position in it (`position % wordsPerRow`).
 * Narrow rows thus share a vector instead of being padded to one; only the last kernel
 * row is padded, with zeros, which count nothing. Each call takes at least 256 kernel
 * rows (at most 1 MiB of words), so that its fixed cost, clearing and reading back one
 * counter per bit, stays small; only the planes its rows can reach are read back.
 */
export function columnCountsKernel(on: Float64Array, words: Uint32Array, rows: number, wordsPerRow: number, units: number): boolean {
  const span = (wordsPerRow * 4) / gcd(wordsPerRow, 4) // words per kernel row
  if (span > MAX_SPAN) return false
  const k = getKernel()
  if (k === null) return false
  const vectors = span / 4
  const countsBytes = vectors * 512 // (vector, bit) -> four i32 lanes
  const planes = countsBytes
  const input = planes + 256
  const perChunk = Math.max(MIN_ROWS_PER_CALL, Math.floor(CHUNK_WORDS / span)) // kernel rows per call, far below the planes' limit
  reserve(k, input + perChunk * span * 4)
  const counts = new Int32Array(k.memory.buffer, 0, vectors * 128)
  const data = new Uint32Array(k.memory.buffer, input, perChunk * span)
  const total = rows * wordsPerRow
  for (let start = 0; start < total; start += perChunk * span) {
    const n = Math.min(perChunk * span, total - start)
    const kernelRows = Math.ceil(n / span)
    data.set(words.subarray(start, start + n))
    data.fill(0, n, kernelRows * span)
    counts.fill(0)
    // planes hold counts of groups of eight: their bit length is all a call can reach
    k.columns(input, kernelRows, vectors, 0, planes, Math.max(1, 32 - Math.clz32(kernelRows >>> 3)))
    for (let g = 0; g < vectors; g++) {
      for (let lane = 0; lane < 4; lane++) {
        const unit0 = 32 * ((4 * g + lane) % wordsPerRow)
        const last = Math.min(32, units - unit0)
        for (let bit = 0; bit < last; bit++) {
          const c = counts[(g * 32 + bit) * 4 + lane]!
          if (c !== 0) on[unit0 + bit] = on[unit0 + bit]! + c
        }
      }
    }
  }
  return true
}
