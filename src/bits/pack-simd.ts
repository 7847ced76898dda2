import { PACK_KERNEL } from './pack-kernel.js'

/*
 * Row packing with WebAssembly SIMD (pack.wat): four comparisons and a bitmask per
 * instruction pair, several times faster than the best JavaScript loop. The values are
 * copied into the kernel's own memory in chunks (a plain memcpy), packed there, and the
 * words copied out. Where WebAssembly or its SIMD is missing (an old engine, a page whose
 * policy forbids compiling) the module fails to load once and the JavaScript packer does
 * the work; the bits are the same either way (the tests run both).
 */

interface Kernel {
  readonly memory: WebAssembly.Memory
  readonly pack: (input: number, rows: number, units: number, out: number, threshold: number) => void
  readonly nonFinite: (input: number, n: number) => number
}

/** Values per call (128 KiB): the copy, the packing and the count then share the first caches, and the kernel's memory stays small. */
const CHUNK_VALUES = 1 << 15
const PAGE = 65536

let kernel: Kernel | null | undefined
let enabled = true

function load(): Kernel | null {
  try {
    const bytes = Uint8Array.from(atob(PACK_KERNEL), (c) => c.charCodeAt(0))
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
  const need = outByte + perChunk * wpr * 4
  if (k.memory.buffer.byteLength < need) k.memory.grow(Math.ceil((need - k.memory.buffer.byteLength) / PAGE))
  const f32 = new Float32Array(k.memory.buffer, 0, perChunk * units)
  const u32 = new Uint32Array(k.memory.buffer, outByte, perChunk * wpr)
  let nonFinite = 0
  for (let r = 0; r < rows; r += perChunk) {
    const n = Math.min(perChunk, rows - r)
    f32.set(values.subarray(r * units, (r + n) * units))
    k.pack(0, n, units, outByte, threshold)
    nonFinite += k.nonFinite(0, n * units)
    out.set(n === perChunk ? u32 : u32.subarray(0, n * wpr), r * wpr)
  }
  return nonFinite
}
