/* Joining consecutive padded rows of bits into one dense pattern (all positions of an example). */
/**
 * Concatenates `count` consecutive rows of `units` bits (each padded to whole words, the
 * documented layout) into one dense pattern of `count * units` bits: row `k`'s unit `u`
 * becomes bit `k * units + u`. Used to make one pattern of all the positions of an example.
 *
 * @example
 * ```ts
 * concatRows(new Uint32Array([0b01, 0b11]), 0, 2, 2) // Uint32Array [0b1101]
 * ```
 */
export function concatRows(words: Uint32Array, firstRow: number, count: number, units: number): Uint32Array {
  const wpr = Math.ceil(units / 32)
  const out = new Uint32Array(Math.ceil((count * units) / 32))
  let bit = 0
  for (let r = 0; r < count; r++) {
    const base = (firstRow + r) * wpr
    for (let w = 0; w < wpr; w++) {
      const width = Math.min(32, units - 32 * w)
      const value = words[base + w]!
      const at = bit >>> 5
      const shift = bit & 31
      out[at] = (out[at]! | (value << shift)) >>> 0
      if (shift + width > 32) out[at + 1] = (out[at + 1]! | (value >>> (32 - shift))) >>> 0
      bit += width
    }
  }
  return out
}

/**
 * ORs `bits` bits, starting at bit 0 of word `from` of `src`, into `dst` starting at bit
 * `at` (which must be zero there). Whole words at a time: two shifts per source word.
 *
 * @example
 * ```ts
 * const dst = new Uint32Array(2)
 * orBits(new Uint32Array([0b101]), 0, 3, dst, 30) // dst: [0b01 << 30, 0b1]
 * ```
 */
export function orBits(src: Uint32Array, from: number, bits: number, dst: Uint32Array, at: number): void {
  const words = bits >>> 5
  const rest = bits & 31
  const shift = at & 31
  let d = at >>> 5
  if (shift === 0) {
    for (let w = 0; w < words; w++, d++) dst[d] = (dst[d]! | src[from + w]!) >>> 0
    if (rest !== 0) dst[d] = (dst[d]! | (src[from + words]! & ((1 << rest) - 1 || 0xffffffff))) >>> 0
    return
  }
  const back = 32 - shift
  for (let w = 0; w < words; w++, d++) {
    const v = src[from + w]!
    dst[d] = (dst[d]! | (v << shift)) >>> 0
    dst[d + 1] = (dst[d + 1]! | (v >>> back)) >>> 0
  }
  if (rest !== 0) {
    const v = src[from + words]! & ((1 << rest) - 1 || 0xffffffff)
    dst[d] = (dst[d]! | (v << shift)) >>> 0
    if (shift + rest > 32) dst[d + 1] = (dst[d + 1]! | (v >>> back)) >>> 0
  }
}
