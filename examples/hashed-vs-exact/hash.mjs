// The reference implementation's way of counting patterns (Hartmann et al. 2021,
// JGU-VC/activation-pattern-analysis): its encoding and hash of a pattern, bins `h mod N`
// with no collision handling; and the readouts on bin counts.

const M64 = (1n << 64n) - 1n
const wrap = (x) => BigInt.asIntN(64, x & M64)

/** The reference's encoding and hash of one pattern (units bits in `words` from `at`). */
export function referenceHash(words, at, units) {
  let h = 37n
  for (let b = 0; b * 64 < units; b++) {
    const bits = Math.min(64, units - 64 * b)
    const lo = BigInt(words[at + 2 * b] >>> 0)
    const hi = bits > 32 ? BigInt(words[at + 2 * b + 1] >>> 0) : 0n
    let n = lo | (hi << 32n)
    // a full 64-bit block weights its top bit -1 instead of -2^63 (its util.py)
    if (bits === 64 && hi >> 31n === 1n) n = (n & ((1n << 63n) - 1n)) - 1n
    n = wrap(n * 76963n)
    h = wrap(n ^ wrap(h * 54059n))
  }
  return h
}

/** Bin counts of an exact histogram state re-counted in a table of N bins. */
export function hashed(state, N, cache) {
  const bins = new Map()
  const { table } = state
  for (let slot = 0; slot < table.capacity; slot++) {
    const c = table.counts[slot]
    if (c === 0) continue
    const at = slot * table.wordsPerRow
    const key = Array.from(table.keys.subarray(at, at + table.wordsPerRow)).join(',')
    let h = cache.get(key)
    if (h === undefined) cache.set(key, (h = referenceHash(table.keys, at, state.units)))
    // N = Infinity: no table, the hash itself (what is left is the encoding)
    const bin = N === Number.POSITIVE_INFINITY ? h : Number(((h % BigInt(N)) + BigInt(N)) % BigInt(N))
    bins.set(bin, (bins.get(bin) ?? 0) + c)
  }
  return bins
}

export const entropy = (counts, total) => {
  let s = 0
  for (const c of counts) s += c * Math.log2(c)
  return Math.log2(total) - s / total
}
export function weightedJaccard(a, b) {
  let min = 0
  let max = 0
  for (const [k, x] of a) {
    const y = b.get(k) ?? 0
    min += Math.min(x, y)
    max += Math.max(x, y)
  }
  for (const [k, y] of b) if (!a.has(k)) max += y
  return max === 0 ? 1 : min / max
}
