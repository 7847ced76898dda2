/* An index of packed patterns for the nearest pattern by Hamming distance, pruned by popcount. */
import { popcount32 } from './popcount.js'

/**
 * An exact nearest-neighbour index over packed patterns under Hamming distance:
 * multi-index hashing (Norouzi, Punjani & Fleet 2012). Each pattern is cut into 16-bit
 * blocks; block `b` has a bucket per block value, holding the ids of the patterns with
 * that value. A query searches radius s = 0, 1, 2, ... in every block; by pigeonhole a
 * pattern at distance below `m * (s + 1)` (m blocks) differs from the query by at most s
 * bits in some block, so once the best distance found is below that bound, it is exact.
 * Once the bucket reads of the radii searched so far would pass half the number of
 * patterns, the rest of the search is a plain popcount scan, which is also exact: a
 * query far from every pattern costs at most about 1.5 scans.
 *
 * Memory: `4 * wordsPerRow` bytes per pattern for the words, plus per block 4 bytes per
 * pattern and a 256 KiB offset table. Sets of fewer than 2048 patterns (`INDEX_MIN_ROWS`),
 * or fewer than 256 per block (wide patterns, where radius 2 would already cost more than
 * a scan), are not indexed: a scan is faster, and costs no memory.
 */
export interface HammingIndex {
  /** Bits per pattern. */
  readonly units: number
  /** Words per pattern. */
  readonly wordsPerRow: number
  /** Patterns stored (distinct). */
  readonly rows: number
  /** The patterns, `rows * wordsPerRow` words. */
  readonly words: Uint32Array
  /** Per 16-bit block: `offsets[v]..offsets[v + 1]` index into `ids` for block value v; null when not indexed. */
  readonly blocks: readonly { readonly offsets: Uint32Array; readonly ids: Uint32Array; readonly bits: number }[] | null
}

/** Below this many patterns a scan beats the index, which is then not built. */
export const INDEX_MIN_ROWS = 2048

const BLOCK_VALUES = 1 << 16

function blockValue(words: Uint32Array, offset: number, block: number): number {
  return (words[offset + (block >>> 1)]! >>> ((block & 1) << 4)) & 0xffff
}

/**
 * Builds the index over `rows` patterns of `units` bits (`words` holds them in the
 * documented layout; the index keeps it, so do not change it afterwards). With
 * `{ blocks: false }` no blocks are built and every search is a plain scan.
 *
 * @example
 * ```ts
 * const index = hammingIndex(words, rows, 64)
 * nearestPattern(index, query, 0).distance
 * ```
 */
export function hammingIndex(words: Uint32Array, rows: number, units: number, options: { blocks?: boolean } = {}): HammingIndex {
  const wordsPerRow = Math.ceil(units / 32)
  const m = Math.ceil(units / 16)
  // an index pays only when a few radii fit before the scan fallback (see nearestPattern)
  if (rows < INDEX_MIN_ROWS || rows < 256 * m || options.blocks === false) return { units, wordsPerRow, rows, words, blocks: null }
  const blocks = []
  for (let b = 0; b < m; b++) {
    const offsets = new Uint32Array(BLOCK_VALUES + 1)
    for (let r = 0; r < rows; r++) offsets[blockValue(words, r * wordsPerRow, b) + 1]!++
    for (let v = 0; v < BLOCK_VALUES; v++) offsets[v + 1]! += offsets[v]!
    const fill = offsets.slice(0, BLOCK_VALUES)
    const ids = new Uint32Array(rows)
    for (let r = 0; r < rows; r++) ids[fill[blockValue(words, r * wordsPerRow, b)]!++] = r
    blocks.push({ offsets, ids, bits: Math.min(16, units - 16 * b) })
  }
  return { units, wordsPerRow, rows, words, blocks }
}

/** Hamming distance of the query to pattern `row`, or any value above `limit` once it is exceeded. */
function distanceTo(index: HammingIndex, row: number, query: Uint32Array, offset: number, limit: number): number {
  const wpr = index.wordsPerRow
  const base = row * wpr
  let d = 0
  for (let w = 0; w < wpr && d <= limit; w++) d += popcount32((index.words[base + w]! ^ query[offset + w]!) >>> 0)
  return d
}

/** The nearest of all patterns by a plain scan. */
function scan(index: HammingIndex, query: Uint32Array, offset: number, best: { distance: number; row: number }): void {
  for (let r = 0; r < index.rows && best.distance > 0; r++) {
    const d = distanceTo(index, r, query, offset, best.distance - 1)
    if (d < best.distance) {
      best.distance = d
      best.row = r
    }
  }
}

/** Per index, marks of the rows a query has met: a stamp per query instead of clearing. */
const scratch = new WeakMap<HammingIndex, { marks: Uint32Array; stamp: number }>()

function nextStamp(index: HammingIndex): { marks: Uint32Array; stamp: number } {
  let s = scratch.get(index)
  if (s === undefined || s.stamp === 0xffffffff) {
    s = { marks: new Uint32Array(index.rows), stamp: 0 }
    scratch.set(index, s)
  }
  s.stamp++
  return s
}

function binomial(n: number, k: number): number {
  if (k < 0 || k > n) return 0
  let c = 1
  for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i
  return c
}

/**
 * The exact nearest pattern to the query at `query[offset..]`: its Hamming distance and
 * row, or distance `Infinity` and row -1 for an empty index. Ties go to the first found.
 *
 * @example
 * ```ts
 * const { distance } = nearestPattern(index, query, 0) // 0 when the query was seen
 * ```
 */
export function nearestPattern(index: HammingIndex, query: Uint32Array, offset: number): { distance: number; row: number } {
  const best = { distance: Number.POSITIVE_INFINITY, row: -1 }
  if (index.rows === 0) return best
  const blocks = index.blocks
  if (blocks === null) {
    scan(index, query, offset, best)
    return best
  }
  const { marks, stamp } = nextStamp(index)
  const m = blocks.length
  const narrowest = Math.min(...blocks.map((b) => b.bits))
  let spent = 0
  for (let s = 0; s <= 16; s++) {
    // the next radius costs this many bucket reads; past half the rows, a scan is cheaper
    for (const b of blocks) spent += binomial(b.bits, s)
    if (spent > index.rows / 2) {
      scan(index, query, offset, best)
      return best
    }
    for (let b = 0; b < m; b++) {
      const block = blocks[b]!
      if (block.bits < s) continue
      const q = blockValue(query, offset, b)
      const { offsets, ids } = block
      // every flip mask of exactly s of the block's bits (Gosper's hack)
      const end = 1 << block.bits
      for (let mask = (1 << s) - 1; mask < end; ) {
        const v = q ^ mask
        for (let i = offsets[v]!, stop = offsets[v + 1]!; i < stop; i++) {
          const row = ids[i]!
          if (marks[row] === stamp) continue
          marks[row] = stamp
          const d = distanceTo(index, row, query, offset, best.distance - 1)
          if (d < best.distance) {
            best.distance = d
            best.row = row
          }
        }
        if (mask === 0) break
        const low = mask & -mask
        const ripple = mask + low
        mask = ripple | (((mask ^ ripple) >>> 2) / low)
      }
    }
    // a pattern not met yet differs by s + 1 or more bits in every block (and there is
    // none once s reaches the width of the narrowest block)
    if (best.distance < m * (s + 1) || s >= narrowest) return best
  }
  scan(index, query, offset, best)
  return best
}
