/**
 * 32-bit hash of `wordsPerRow` words starting at `offset` (murmur3-style mixing).
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
    let k = words[offset + w]!
    k = Math.imul(k, 0xcc9e2d51)
    k = (k << 15) | (k >>> 17)
    k = Math.imul(k, 0x1b873593)
    h ^= k
    h = (h << 13) | (h >>> 19)
    h = (Math.imul(h, 5) + 0xe6546b64) | 0
  }
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}
