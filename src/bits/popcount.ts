/* Set bits of a word and Hamming distances between packed rows. */
/**
 * Number of set bits in a 32-bit word (SWAR, no loop).
 *
 * @example
 * ```ts
 * popcount32(0b1011) // 3
 * ```
 */
export function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333)
  x = (x + (x >>> 4)) & 0x0f0f0f0f
  return Math.imul(x, 0x01010101) >>> 24
}

/**
 * Hamming distance between row `a` of `wa` and row `b` of `wb`, `wordsPerRow` words each.
 *
 * @example
 * ```ts
 * hammingDistance(new Uint32Array([0b101]), 0, new Uint32Array([0b011]), 0, 1) // 2
 * ```
 */
export function hammingDistance(wa: Uint32Array, a: number, wb: Uint32Array, b: number, wordsPerRow: number): number {
  let d = 0
  const oa = a * wordsPerRow
  const ob = b * wordsPerRow
  for (let w = 0; w < wordsPerRow; w++) d += popcount32((wa[oa + w]! ^ wb[ob + w]!) >>> 0)
  return d
}
