/* The Space-Saving sketch of the most frequent patterns past the table cap, with error bounds. */
import { hashWords } from './hash.js'

/**
 * A Space-Saving summary of the most frequent packed patterns (Metwally et al. 2005):
 * `k` monitored patterns with a count and an error each. Every count overestimates its
 * pattern's true count by at most its error, and any pattern seen more than
 * `total / k` times is monitored. Adding costs a hash lookup and a heap step.
 *
 * The summary is plain data (`keys`, `counts`, `errors`, `size`), so it clones and
 * serialises as it is; the min-heap and the lookup index that make adding fast are kept
 * beside it and rebuilt on first use of a copy.
 */
export interface SpaceSaving {
  /** Patterns monitored at most. */
  readonly k: number
  /** Words per pattern. */
  readonly wordsPerRow: number
  /** Patterns monitored now (`<= k`). */
  size: number
  /** Monitored patterns, `k * wordsPerRow` words. */
  keys: Uint32Array
  /** Count per monitored pattern (an overestimate by at most its error). */
  counts: Float64Array
  /** Most each count may exceed the true count. */
  errors: Float64Array
}

/** What makes adding fast, derived from a summary. */
interface Index {
  /** Entry indices as a min-heap on counts. */
  heap: Int32Array
  /** Heap position of each entry. */
  at: Int32Array
  /** Open addressing: entry + 1 per slot, 0 when empty. */
  slots: Int32Array
}

const indexes = new WeakMap<SpaceSaving, Index>()

/** An empty summary monitoring at most `k` patterns of `wordsPerRow` words. */
export function createSpaceSaving(k: number, wordsPerRow: number): SpaceSaving {
  return { k, wordsPerRow, size: 0, keys: new Uint32Array(k * wordsPerRow), counts: new Float64Array(k), errors: new Float64Array(k) }
}

/** Bytes held by a summary and its index. */
export function spaceSavingBytes(k: number, wordsPerRow: number): number {
  return k * (4 * wordsPerRow + 16 + 8) + 4 * slotCount(k)
}

function slotCount(k: number): number {
  let cap = 4
  while (cap < 2 * k) cap *= 2
  return cap
}

/** The summary's index, built when missing (a clone or a parsed copy has none). */
function indexOf(s: SpaceSaving): Index {
  let x = indexes.get(s)
  if (x === undefined) {
    x = { heap: new Int32Array(s.k), at: new Int32Array(s.k), slots: new Int32Array(slotCount(s.k)) }
    indexes.set(s, x)
    if (!fill(s, x)) {
      indexes.delete(s)
      throw new RangeError('a Space-Saving summary monitors a pattern twice')
    }
  }
  return x
}

function sameKey(s: SpaceSaving, entry: number, words: Uint32Array, offset: number): boolean {
  const wpr = s.wordsPerRow
  const base = entry * wpr
  for (let w = 0; w < wpr; w++) if (s.keys[base + w] !== words[offset + w]) return false
  return true
}

/** Index slot holding the pattern, or the empty slot where it would go. */
function findSlot(s: SpaceSaving, x: Index, words: Uint32Array, offset: number): number {
  const mask = x.slots.length - 1
  let slot = hashWords(words, offset, s.wordsPerRow) & mask
  for (;;) {
    const e = x.slots[slot]!
    if (e === 0 || sameKey(s, e - 1, words, offset)) return slot
    slot = (slot + 1) & mask
  }
}

/** Removes the entry's key from the index (backward-shift deletion keeps probe runs intact). */
function unindex(s: SpaceSaving, x: Index, entry: number): void {
  const mask = x.slots.length - 1
  let hole = findSlot(s, x, s.keys, entry * s.wordsPerRow)
  let next = (hole + 1) & mask
  while (x.slots[next] !== 0) {
    const e = x.slots[next]! - 1
    const home = hashWords(s.keys, e * s.wordsPerRow, s.wordsPerRow) & mask
    // move e into the hole unless its home lies cyclically in (hole, next]
    if (((next - home) & mask) >= ((next - hole) & mask)) {
      x.slots[hole] = e + 1
      hole = next
    }
    next = (next + 1) & mask
  }
  x.slots[hole] = 0
}

function swap(x: Index, i: number, j: number): void {
  const a = x.heap[i]!
  const b = x.heap[j]!
  x.heap[i] = b
  x.heap[j] = a
  x.at[b] = i
  x.at[a] = j
}

function siftDown(s: SpaceSaving, x: Index, i: number): void {
  const { heap } = x
  for (;;) {
    const l = 2 * i + 1
    if (l >= s.size) return
    const r = l + 1
    const c = r < s.size && s.counts[heap[r]!]! < s.counts[heap[l]!]! ? r : l
    if (s.counts[heap[c]!]! >= s.counts[heap[i]!]!) return
    swap(x, i, c)
    i = c
  }
}

function siftUp(s: SpaceSaving, x: Index, i: number): void {
  const { heap } = x
  while (i > 0) {
    const parent = (i - 1) >> 1
    if (s.counts[heap[parent]!]! <= s.counts[heap[i]!]!) return
    swap(x, i, parent)
    i = parent
  }
}

/** The smallest monitored count when the summary is full (a bound on every unmonitored pattern), else 0. */
export function spaceSavingFloor(s: SpaceSaving): number {
  if (s.size < s.k) return 0
  let floor = Number.POSITIVE_INFINITY
  for (let e = 0; e < s.size; e++) if (s.counts[e]! < floor) floor = s.counts[e]!
  return floor
}

/** Adds `weight` occurrences of the pattern at `words[offset..]`. */
export function spaceSavingAdd(s: SpaceSaving, words: Uint32Array, offset: number, weight: number): void {
  const x = indexOf(s)
  const slot = findSlot(s, x, words, offset)
  const found = x.slots[slot]!
  if (found !== 0) {
    s.counts[found - 1] = s.counts[found - 1]! + weight
    siftDown(s, x, x.at[found - 1]!)
    return
  }
  const wpr = s.wordsPerRow
  if (s.size < s.k) {
    const e = s.size++
    s.keys.set(words.subarray(offset, offset + wpr), e * wpr)
    s.counts[e] = weight
    s.errors[e] = 0
    x.heap[e] = e
    x.at[e] = e
    x.slots[slot] = e + 1
    siftUp(s, x, e)
    return
  }
  // replace the least counted pattern: the newcomer may have been it all along
  const e = x.heap[0]!
  const floor = s.counts[e]!
  unindex(s, x, e)
  s.keys.set(words.subarray(offset, offset + wpr), e * wpr)
  s.counts[e] = floor + weight
  s.errors[e] = floor
  x.slots[findSlot(s, x, words, offset)] = e + 1
  siftDown(s, x, 0)
}

/** Builds the heap and index of `s` into `x`; false when a pattern is monitored twice. */
function fill(s: SpaceSaving, x: Index): boolean {
  x.slots.fill(0)
  for (let e = 0; e < s.size; e++) {
    x.heap[e] = e
    x.at[e] = e
    const slot = findSlot(s, x, s.keys, e * s.wordsPerRow)
    if (x.slots[slot] !== 0) return false
    x.slots[slot] = e + 1
  }
  for (let i = (s.size >> 1) - 1; i >= 0; i--) siftDown(s, x, i)
  return true
}

/** True when no pattern is monitored twice (checked in O(k)). */
export function spaceSavingDistinct(s: SpaceSaving): boolean {
  return fill(s, { heap: new Int32Array(s.k), at: new Int32Array(s.k), slots: new Int32Array(slotCount(s.k)) })
}

/** The monitored patterns, most counted first: entry indices. */
export function spaceSavingTop(s: SpaceSaving): number[] {
  return Array.from({ length: s.size }, (_, e) => e).sort((a, b) => s.counts[b]! - s.counts[a]! || s.errors[a]! - s.errors[b]!)
}

/**
 * A summary of both streams (neither is changed), mergeable as Agarwal et al. (2012) show:
 * a pattern missing from a full summary may have been seen up to that summary's floor
 * times, so it gets the floor added to its count and its error; the k largest remain.
 */
export function spaceSavingMerge(a: SpaceSaving, b: SpaceSaving): SpaceSaving {
  const wpr = a.wordsPerRow
  const all = createSpaceSaving(a.size + b.size, wpr)
  const fa = spaceSavingFloor(a)
  const fb = spaceSavingFloor(b)
  const add = (from: SpaceSaving, other: SpaceSaving, otherFloor: number, first: boolean): void => {
    for (let e = 0; e < from.size; e++) {
      const offset = e * wpr
      const ox = indexOf(other)
      const slot = findSlot(other, ox, from.keys, offset)
      const inOther = ox.slots[slot]! !== 0
      if (!first && inOther) continue // added with the first summary
      const o = inOther ? ox.slots[slot]! - 1 : -1
      const count = from.counts[e]! + (inOther ? other.counts[o]! : otherFloor)
      const error = from.errors[e]! + (inOther ? other.errors[o]! : otherFloor)
      const n = all.size++
      all.keys.set(from.keys.subarray(offset, offset + wpr), n * wpr)
      all.counts[n] = count
      all.errors[n] = error
    }
  }
  add(a, b, fb, true)
  add(b, a, fa, false)
  // the smaller k: a summary that kept fewer patterns says less about the others
  const k = Math.min(a.k, b.k)
  const out = createSpaceSaving(k, wpr)
  const order = Array.from({ length: all.size }, (_, e) => e).sort((x, y) => all.counts[y]! - all.counts[x]!)
  for (const e of order.slice(0, k)) {
    const n = out.size++
    out.keys.set(all.keys.subarray(e * wpr, (e + 1) * wpr), n * wpr)
    out.counts[n] = all.counts[e]!
    out.errors[n] = all.errors[e]!
  }
  return out
}
