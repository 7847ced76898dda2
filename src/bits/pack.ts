/* Packing activations into sign bits, one Uint32 word per 32 units, and reading bits back. */
import { packRowsKernel } from './kernel.js'

/**
 * Packing of activations into bits. Bit `j` of word `w` of a row is unit `32w + j`;
 * bits above `units` in the last word are zero. A unit's bit is set when its value is
 * `> threshold` (0 for the sign plane; NaN is off, +Infinity is on); NaN and +-Infinity
 * are counted, never thrown on.
 */

/**
 * The threshold that makes `v > threshold` mean `v >= cap` for float32 values `v`: the
 * largest float32 below `float32(cap)`. tfjs clips ReLU6 and capped ReLUs at the float32
 * value of the cap, so this marks exactly the saturated units.
 *
 * @example
 * ```ts
 * const t = saturationThreshold(6)
 * 6 > t && !(5.999999 > t) // true
 * ```
 */
export function saturationThreshold(cap: number): number {
  const f = new Float32Array([cap])
  const bits = new Int32Array(f.buffer)
  if (f[0]! > 0) bits[0] = bits[0]! - 1
  else if (f[0]! < 0) bits[0] = bits[0]! + 1
  else return -Number.MIN_VALUE
  return f[0]!
}

/*
 * The fast path reads float32 values as their int32 bit patterns. For a float32 x and a
 * float32 threshold t >= 0 with bit pattern tb: x > t exactly when x's sign bit is clear
 * and its magnitude bits m = bits & 0x7fffffff exceed tb (IEEE 754 orders non-negative
 * floats like their bit patterns). Both m and tb lie in [0, 2^31), so `tb - m` is an
 * exact int32 whose sign bit is the answer; AND-ing with ~bits clears it for negative x.
 * No branch depends on the data, which makes it several times faster than `x > t` on
 * activations that are on about half the time. NaN (m > 0x7f800000) would read as on,
 * so non-finite values are counted alongside (m >= 0x7f800000) and any batch that has
 * them is packed again by the exact path.
 */

/**
 * Words per packed row of `units` bits: the one rule of the layout, `ceil(units / 32)`.
 *
 * @example
 * ```ts
 * wordsFor(33) // 2
 * ```
 */
export function wordsFor(units: number): number {
  return Math.ceil(units / 32)
}

const scratch = new Float32Array(1)
const scratchBits = new Int32Array(scratch.buffer)

/** Bit pattern of a float32 value (callers pass `t + 0`, which makes -0 the +0 the fast path's arithmetic needs). */
function floatBitsOf(x: number): number {
  scratch[0] = x
  return scratchBits[0]!
}

/** The values' bit patterns, when the fast path applies (float32 data, float32 threshold >= 0). */
function float32Bits(values: ArrayLike<number>, threshold: number): Int32Array | null {
  if (!(values instanceof Float32Array) || !(threshold >= 0) || Math.fround(threshold) !== threshold) return null
  return new Int32Array(values.buffer, values.byteOffset, values.length)
}

function packRowsBits(bits: Int32Array, rows: number, units: number, out: Uint32Array, tb: number): number {
  const full = units >>> 5
  const tail = units & 31
  let nonFinite = 0
  let i = 0
  let o = 0
  for (let r = 0; r < rows; r++) {
    for (let w = 0; w < full; w++) {
      let word = 0
      for (let j = 0; j < 32; j++) {
        const x = bits[i++]!
        const m = x & 0x7fffffff
        word |= (((tb - m) & ~x) >>> 31) << j
        nonFinite += (0x7f7fffff - m) >>> 31
      }
      out[o++] = word
    }
    if (tail !== 0) {
      let word = 0
      for (let j = 0; j < tail; j++) {
        const x = bits[i++]!
        const m = x & 0x7fffffff
        word |= (((tb - m) & ~x) >>> 31) << j
        nonFinite += (0x7f7fffff - m) >>> 31
      }
      out[o++] = word
    }
  }
  return nonFinite
}

function packChannelsFirstBits(
  bits: Int32Array,
  examples: number,
  channels: number,
  positions: number,
  out: Uint32Array,
  tb: number,
): number {
  const wordsPerRow = (channels + 31) >>> 5
  out.fill(0, 0, examples * positions * wordsPerRow)
  let nonFinite = 0
  let i = 0
  for (let n = 0; n < examples; n++) {
    const rowBase = n * positions
    for (let c = 0; c < channels; c++) {
      const shift = c & 31
      let o = rowBase * wordsPerRow + (c >>> 5)
      for (let p = 0; p < positions; p++, o += wordsPerRow) {
        const x = bits[i++]!
        const m = x & 0x7fffffff
        out[o] = out[o]! | ((((tb - m) & ~x) >>> 31) << shift)
        nonFinite += (0x7f7fffff - m) >>> 31
      }
    }
  }
  return nonFinite
}

/**
 * Packs `rows` rows of `units` consecutive values (row-major, e.g. a channels-last
 * activation read back from a tensor) into `out`, which must hold
 * `rows * ceil(units / 32)` words; a bit is set when the value is `> threshold`
 * (default 0). Returns the number of non-finite values seen.
 *
 * @example
 * ```ts
 * const out = new Uint32Array(1)
 * packRows(new Float32Array([0.5, 0, 2, -1]), 1, 4, out) // 0; out[0] === 0b0101
 * ```
 */
export function packRows(values: ArrayLike<number>, rows: number, units: number, out: Uint32Array, threshold = 0): number {
  if (values instanceof Float32Array && Math.fround(threshold) === threshold) {
    const nonFinite = packRowsKernel(values, rows, units, out, threshold)
    if (nonFinite !== null) return nonFinite
  }
  const bits = float32Bits(values, threshold)
  if (bits !== null && packRowsBits(bits, rows, units, out, floatBitsOf(threshold + 0)) === 0) return 0
  return packRowsExact(values, rows, units, out, threshold)
}

function packRowsExact(values: ArrayLike<number>, rows: number, units: number, out: Uint32Array, threshold: number): number {
  const full = units >>> 5
  const tail = units & 31
  let nonFinite = 0
  let i = 0
  let o = 0
  for (let r = 0; r < rows; r++) {
    for (let w = 0; w < full; w++) {
      let word = 0
      for (let j = 0; j < 32; j++) {
        const v = values[i++]!
        if (v > threshold) word |= 1 << j
        if (v - v !== 0) nonFinite++
      }
      out[o++] = word
    }
    if (tail !== 0) {
      let word = 0
      for (let j = 0; j < tail; j++) {
        const v = values[i++]!
        if (v > threshold) word |= 1 << j
        if (v - v !== 0) nonFinite++
      }
      out[o++] = word
    }
  }
  return nonFinite
}

/**
 * Packs a channels-first activation `[examples, channels, positions]` into one row per
 * (example, position) with `channels` bits each, rows ordered example-major then position,
 * which is the same row order a channels-last activation gives. Returns the number of
 * non-finite values seen.
 *
 * @example
 * ```ts
 * // one example, 2 channels, 3 positions: channel 0 = [1, 0, 1], channel 1 = [0, 0, 1]
 * const out = new Uint32Array(3)
 * packChannelsFirst(new Float32Array([1, 0, 1, 0, 0, 1]), 1, 2, 3, out) // out = [0b01, 0b00, 0b11]
 * ```
 */
export function packChannelsFirst(
  values: ArrayLike<number>,
  examples: number,
  channels: number,
  positions: number,
  out: Uint32Array,
  threshold = 0,
): number {
  const bits = float32Bits(values, threshold)
  if (bits !== null && packChannelsFirstBits(bits, examples, channels, positions, out, floatBitsOf(threshold + 0)) === 0) {
    return 0
  }
  return packChannelsFirstExact(values, examples, channels, positions, out, threshold)
}

function packChannelsFirstExact(
  values: ArrayLike<number>,
  examples: number,
  channels: number,
  positions: number,
  out: Uint32Array,
  threshold: number,
): number {
  const wordsPerRow = (channels + 31) >>> 5
  out.fill(0, 0, examples * positions * wordsPerRow)
  let nonFinite = 0
  let i = 0
  for (let n = 0; n < examples; n++) {
    const rowBase = n * positions
    for (let c = 0; c < channels; c++) {
      const bit = 1 << (c & 31)
      let o = rowBase * wordsPerRow + (c >>> 5)
      for (let p = 0; p < positions; p++, o += wordsPerRow) {
        const v = values[i++]!
        if (v > threshold) out[o] = out[o]! | bit
        if (v - v !== 0) nonFinite++
      }
    }
  }
  return nonFinite
}

/**
 * Reads bit `unit` of row `row` from packed words.
 *
 * @example
 * ```ts
 * getBit(new Uint32Array([0b100]), 0, 1, 2) // true
 * ```
 */
export function getBit(words: Uint32Array, row: number, wordsPerRow: number, unit: number): boolean {
  return ((words[row * wordsPerRow + (unit >>> 5)]! >>> (unit & 31)) & 1) === 1
}
