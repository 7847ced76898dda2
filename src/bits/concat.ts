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
