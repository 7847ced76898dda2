/* Per-unit on counts of packed rows, counted column by column in cache-sized blocks. */
import { columnCountsKernel } from './kernel.js'

/** Rows per block: a block of packed rows is read column by column while it is in cache. */
const BLOCK_ROWS = 2048

/**
 * Adds to `on[u]`, for every unit `u`, the number of rows whose bit `u` is set. With the
 * WebAssembly kernel when it loads (the same method on 128-bit vectors, see kernel.ts);
 * in JavaScript otherwise:
 *
 * Bit-sliced (vertical) counting with carry-save adders, after Harley and Seal: eight
 * rows at a time are added into per-column accumulators `ones`, `twos` and `fours` by
 * seven carry-save adders (five word operations each), and only the carry of weight
 * eight ripples into counter planes (plane k holds bit k of 32 per-unit counters). Rows
 * are taken in blocks that stay in cache while each word column is processed in turn.
 * Planes are flushed to `on` before they could overflow.
 */
export function addColumnCounts(on: Float64Array, words: Uint32Array, rows: number, wordsPerRow: number, units: number): void {
  if (rows === 0 || columnCountsKernel(on, words, rows, wordsPerRow, units)) return
  const groups = Math.ceil(rows / 8)
  let depth = 1
  while ((1 << depth) - 1 < groups && depth < 16) depth++
  const capacity = (1 << depth) - 1 // groups the planes can count before a flush
  const planes = new Uint32Array(depth * wordsPerRow)
  const ones = new Uint32Array(wordsPerRow)
  const twos = new Uint32Array(wordsPerRow)
  const fours = new Uint32Array(wordsPerRow)
  let counted = 0
  for (let start = 0; start < rows; ) {
    const blockGroups = Math.min(BLOCK_ROWS / 8, capacity - counted, Math.ceil((rows - start) / 8))
    const end = Math.min(rows, start + 8 * blockGroups)
    for (let w = 0; w < wordsPerRow; w++) countColumn(words, start, end, wordsPerRow, w, ones, twos, fours, planes, depth)
    counted += blockGroups
    start = end
    if (counted === capacity || start >= rows) {
      flushPlanes(on, planes, depth, wordsPerRow, units)
      counted = 0
    }
  }
  for (let w = 0; w < wordsPerRow; w++) {
    addBits(on, ones[w]!, w, 1, units)
    addBits(on, twos[w]!, w, 2, units)
    addBits(on, fours[w]!, w, 4, units)
  }
}

/** Rows `start..end` of word column `w` into the column's accumulators and planes. */
function countColumn(
  words: Uint32Array,
  start: number,
  end: number,
  wpr: number,
  w: number,
  onesAt: Uint32Array,
  twosAt: Uint32Array,
  foursAt: Uint32Array,
  planes: Uint32Array,
  depth: number,
): void {
  let ones = onesAt[w]!
  let twos = twosAt[w]!
  let fours = foursAt[w]!
  const stride = 8 * wpr
  let i = start * wpr + w
  const full = start + ((end - start) & ~7)
  for (let r = start; r < full; r += 8, i += stride) {
    // carry-save adders: (high, low) = full add of (acc, a, b)
    let a = words[i]!
    let b = words[i + wpr]!
    let u = ones ^ a
    let twosA = (ones & a) | (u & b)
    ones = u ^ b
    a = words[i + 2 * wpr]!
    b = words[i + 3 * wpr]!
    u = ones ^ a
    let twosB = (ones & a) | (u & b)
    ones = u ^ b
    u = twos ^ twosA
    const foursA = (twos & twosA) | (u & twosB)
    twos = u ^ twosB
    a = words[i + 4 * wpr]!
    b = words[i + 5 * wpr]!
    u = ones ^ a
    twosA = (ones & a) | (u & b)
    ones = u ^ b
    a = words[i + 6 * wpr]!
    b = words[i + 7 * wpr]!
    u = ones ^ a
    twosB = (ones & a) | (u & b)
    ones = u ^ b
    u = twos ^ twosA
    const foursB = (twos & twosA) | (u & twosB)
    twos = u ^ twosB
    u = fours ^ foursA
    let eights = (fours & foursA) | (u & foursB)
    fours = u ^ foursB
    for (let k = 0; eights !== 0 && k < depth; k++) {
      const p = k * wpr + w
      const plane = planes[p]!
      planes[p] = plane ^ eights
      eights &= plane
    }
  }
  // the last rows (fewer than eight) ripple into ones, twos and fours
  for (let r = full; r < end; r++) {
    let carry = words[r * wpr + w]!
    let t = ones & carry
    ones ^= carry
    carry = t
    t = twos & carry
    twos ^= carry
    carry = t
    t = fours & carry
    fours ^= carry
    carry = t
    for (let k = 0; carry !== 0 && k < depth; k++) {
      const p = k * wpr + w
      const plane = planes[p]!
      planes[p] = plane ^ carry
      carry &= plane
    }
  }
  onesAt[w] = ones
  twosAt[w] = twos
  foursAt[w] = fours
}

/** Adds the planes (weight 8 << k) to `on` and clears them. */
function flushPlanes(on: Float64Array, planes: Uint32Array, depth: number, wpr: number, units: number): void {
  for (let w = 0; w < wpr; w++) {
    for (let k = 0; k < depth; k++) addBits(on, planes[k * wpr + w]!, w, 8 << k, units)
  }
  planes.fill(0)
}

/** Adds `weight` to `on[32 w + j]` for every set bit j of `bits` (below `units`). */
function addBits(on: Float64Array, bits: number, w: number, weight: number, units: number): void {
  const last = Math.min(32, units - 32 * w)
  while (bits !== 0) {
    const j = 31 - Math.clz32(bits & -bits)
    if (j < last) on[32 * w + j] = on[32 * w + j]! + weight
    bits &= bits - 1
  }
}
