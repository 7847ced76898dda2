/* The 32-bit hash of a packed row that places it in open-addressing tables. */
/**
 * 32-bit hash of `wordsPerRow` words starting at `offset` (multiply-xorshift per word, then a
 * final mix).
 * Used to place patterns in open-addressing tables; equality is always checked on the
 * words themselves, so collisions cost time, never correctness.
 *
 * @example
 * ```ts
 * hashWords(new Uint32Array([1, 2]), 0, 2) === hashWords(new Uint32Array([9, 1, 2]), 1, 2) // true
 * ```
 */
export function hashWords(words: Uint32Array, offset: number, wordsPerRow: number): number {
  let h = 0x9747b28c ^ wordsPerRow
  for (let w = 0; w < wordsPerRow; w++) {
    h = Math.imul(h ^ words[offset + w]!, 0x9e3779b1)
    h ^= h >>> 15
  }
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h ^= h >>> 13
  return h >>> 0
}
