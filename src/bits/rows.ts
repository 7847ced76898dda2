/* Comparing and copying packed rows of words, at the speed wide rows need. */

/**
 * Whether the `n` words at `a[ai..]` equal those at `b[bi..]`. Differences are gathered four
 * words at a time with no branch per word, which keeps wide rows (hundreds of words, nearly
 * always equal when compared) off the per-word branch.
 */
export function sameRow(a: Uint32Array, ai: number, b: Uint32Array, bi: number, n: number): boolean {
  let d = 0
  let w = 0
  for (; w + 4 <= n; w += 4) {
    d |=
      (a[ai + w]! ^ b[bi + w]!) | (a[ai + w + 1]! ^ b[bi + w + 1]!) | (a[ai + w + 2]! ^ b[bi + w + 2]!) | (a[ai + w + 3]! ^ b[bi + w + 3]!)
  }
  for (; w < n; w++) d |= a[ai + w]! ^ b[bi + w]!
  return d === 0
}

/** Rows this wide or wider are copied with `set` (one view allocated, then a block copy). */
const BLOCK_COPY_WORDS = 16

/** Copies the `n` words at `from[fi..]` to `to[ti..]`. */
export function copyRow(from: Uint32Array, fi: number, to: Uint32Array, ti: number, n: number): void {
  if (n >= BLOCK_COPY_WORDS) {
    to.set(from.subarray(fi, fi + n), ti)
    return
  }
  for (let w = 0; w < n; w++) to[ti + w] = from[fi + w]!
}
