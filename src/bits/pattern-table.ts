/* The open-addressing table of distinct packed patterns and their counts, under a byte cap. */
import { InstrumentError } from '../errors.js'
import { hashRows, hashWords } from './hash.js'
import { copyRow, sameRow } from './rows.js'

/**
 * Exact counts of distinct packed patterns: an open-addressing (linear probing) table
 * keyed on the words themselves. Plain typed arrays only, so it can be cloned, sent to a
 * worker and serialised. A slot is empty when its count is 0.
 *
 * Memory: `capacity * (4 * wordsPerRow + 12)` bytes; the table doubles when half full
 * and never grows past `maxBytes` (it then fills up to 7/8 and refuses new patterns).
 * A table of capacity 0 holds nothing yet and allocates on its first pattern.
 *
 * Invariants (checked by {@link checkTable}): capacity is 0 or a power of two; the arrays
 * have `capacity * wordsPerRow`, `capacity` and `capacity` entries; `size` counts the
 * non-zero counts and leaves at least one slot empty; every count is a positive
 * integer; every stored pattern has its own hash and sits in the run of occupied slots
 * that starts at or before its home slot `hash & (capacity - 1)`; no pattern is stored twice.
 */
export interface PatternTable {
  /** Words per pattern. */
  readonly wordsPerRow: number
  /** Number of slots, a power of two. */
  capacity: number
  /** Distinct patterns stored. */
  size: number
  /** Pattern words, `capacity * wordsPerRow`. */
  keys: Uint32Array
  /** Hash of each stored pattern. */
  hashes: Uint32Array
  /** Count per slot; 0 marks an empty slot. Float64 keeps counts exact up to 2^53. */
  counts: Float64Array
}

const MIN_CAPACITY = 16

/** Bytes used by one slot of a table with this many words per pattern. */
export function slotBytes(wordsPerRow: number): number {
  return 4 * wordsPerRow + 12
}

/** Bytes held by a table. */
export function tableBytes(t: PatternTable): number {
  return t.capacity * slotBytes(t.wordsPerRow)
}

/** An empty table. `capacity` is rounded up to a power of two (at least 16), or 0 to allocate later. */
export function createTable(wordsPerRow: number, capacity = MIN_CAPACITY): PatternTable {
  let cap = capacity === 0 ? 0 : MIN_CAPACITY
  while (cap < capacity) cap *= 2
  return {
    wordsPerRow,
    capacity: cap,
    size: 0,
    keys: new Uint32Array(cap * wordsPerRow),
    hashes: new Uint32Array(cap),
    counts: new Float64Array(cap),
  }
}

/** A deep copy. */
export function cloneTable(t: PatternTable): PatternTable {
  return {
    wordsPerRow: t.wordsPerRow,
    capacity: t.capacity,
    size: t.size,
    keys: t.keys.slice(),
    hashes: t.hashes.slice(),
    counts: t.counts.slice(),
  }
}

/** Slot holding the pattern at `words[offset..]`, or the empty slot where it would go. */
function findSlot(t: PatternTable, words: Uint32Array, offset: number, hash: number): number {
  const mask = t.capacity - 1
  let slot = hash & mask
  const counts = t.counts
  const hashes = t.hashes
  for (let probes = 0; counts[slot] !== 0; probes++) {
    if (probes >= t.capacity) throw full()
    if (hashes[slot] === hash && sameRow(t.keys, slot * t.wordsPerRow, words, offset, t.wordsPerRow)) return slot
    slot = (slot + 1) & mask
  }
  return slot
}

/** A table with no empty slot can only come from damaged or crafted data. */
const full = (): InstrumentError =>
  new InstrumentError(
    'CORRUPT_DATA',
    'A pattern table has no empty slot although its size says otherwise; the state is damaged or was not made by this library.',
  )

function grow(t: PatternTable): void {
  const oldKeys = t.keys
  const oldHashes = t.hashes
  const oldCounts = t.counts
  const oldCapacity = t.capacity
  const wpr = t.wordsPerRow
  const capacity = oldCapacity === 0 ? MIN_CAPACITY : oldCapacity * 2
  const keys = new Uint32Array(capacity * wpr)
  const hashes = new Uint32Array(capacity)
  const counts = new Float64Array(capacity)
  const mask = capacity - 1
  // stored hashes place each pattern again; narrow rows are copied word by word (a subarray
  // per pattern would allocate, which made growing the histogram's largest cost), rows of
  // 16 words or more as a block (copyRow)
  for (let s = 0; s < oldCapacity; s++) {
    const c = oldCounts[s]!
    if (c === 0) continue
    const h = oldHashes[s]!
    let slot = h & mask
    while (counts[slot] !== 0) slot = (slot + 1) & mask
    counts[slot] = c
    hashes[slot] = h
    copyRow(oldKeys, s * wpr, keys, slot * wpr, wpr)
  }
  t.capacity = capacity
  t.keys = keys
  t.hashes = hashes
  t.counts = counts
}

/**
 * Adds `count` occurrences of the pattern at `words[offset..]`. Returns false, changing
 * nothing, when the pattern is new and the table may not grow past `maxBytes`.
 */
export function tableAdd(t: PatternTable, words: Uint32Array, offset: number, count: number, maxBytes: number): boolean {
  return addHashed(t, words, offset, count, maxBytes, hashWords(words, offset, t.wordsPerRow))
}

/** {@link tableAdd} of a pattern whose hash is known (a table's stored hash, which callers have checked). */
export function addHashed(t: PatternTable, words: Uint32Array, offset: number, count: number, maxBytes: number, hash: number): boolean {
  if (t.capacity === 0) {
    if (MIN_CAPACITY * slotBytes(t.wordsPerRow) > maxBytes) return false
    grow(t)
  }
  const slot = findSlot(t, words, offset, hash)
  if (t.counts[slot] !== 0) {
    t.counts[slot] = t.counts[slot]! + count
    return true
  }
  return insert(t, words, offset, count, maxBytes, hash, slot)
}

/** Stores a new pattern whose hash is `hash` and whose empty slot is `slot`, growing the table first when it may. */
function insert(t: PatternTable, words: Uint32Array, offset: number, count: number, maxBytes: number, hash: number, slot: number): boolean {
  if ((t.size + 1) * 2 > t.capacity) {
    if (t.capacity * 2 * slotBytes(t.wordsPerRow) <= maxBytes) {
      grow(t)
      slot = findSlot(t, words, offset, hash)
    } else if ((t.size + 1) * 8 > t.capacity * 7) {
      return false
    }
  }
  t.counts[slot] = count
  t.hashes[slot] = hash
  copyRow(words, offset, t.keys, slot * t.wordsPerRow, t.wordsPerRow)
  t.size++
  return true
}

/** Count of the pattern at `words[offset..]`, 0 when absent. */
export function tableGet(t: PatternTable, words: Uint32Array, offset: number): number {
  if (t.capacity === 0) return 0
  return t.counts[findSlot(t, words, offset, hashWords(words, offset, t.wordsPerRow))]!
}

/** Calls `fn(slot, count)` for every stored pattern; its words are `keys[slot * wordsPerRow..]`. */
export function tableForEach(t: PatternTable, fn: (slot: number, count: number) => void): void {
  const counts = t.counts
  for (let s = 0; s < t.capacity; s++) {
    const c = counts[s]!
    if (c !== 0) fn(s, c)
  }
}

/** Told of each pattern a table refused: its words at `words[offset..]`, and how many occurrences. */
export type OnRefused = (words: Uint32Array, offset: number, count: number) => void

/**
 * Adds one occurrence of each of `rows` consecutive patterns of `words`. Returns how
 * many could not be stored under `maxBytes` (each also goes to `onRefused`). The hot loop
 * of the histogram: hashing and probing are inlined, new patterns fall back to {@link tableAdd}.
 */
export function tableAddRows(t: PatternTable, words: Uint32Array, rows: number, maxBytes: number, onRefused?: OnRefused): number {
  const wpr = t.wordsPerRow
  if (wpr === 1 && rows >= NARROW_MIN_ROWS && addNarrowRows(t, words, rows, maxBytes)) return 0
  // rows of 4 words or more are hashed in one pass first, four at a time (see hashRows); the
  // scratch array is taken while in use, so a nested call (from onRefused) gets its own
  const hashed = wpr >= BATCH_HASH_WORDS ? batchHashes(words, rows, wpr) : null
  if (hashed !== null) rowHashes = EMPTY
  let refused = 0
  for (let r = 0, offset = 0; r < rows; r++, offset += wpr) {
    if (t.capacity === 0) {
      if (!tableAdd(t, words, offset, 1, maxBytes)) {
        refused++
        onRefused?.(words, offset, 1)
      }
      continue
    }
    const hash = hashed === null ? hashWords(words, offset, wpr) : hashed[r]!
    const mask = t.capacity - 1
    const counts = t.counts
    const hashes = t.hashes
    const keys = t.keys
    let slot = hash & mask
    let found = false
    for (let probes = 0; counts[slot] !== 0; probes++) {
      if (probes >= mask) throw full()
      if (hashes[slot] === hash && sameRow(keys, slot * wpr, words, offset, wpr)) {
        counts[slot] = counts[slot]! + 1
        found = true
        break
      }
      slot = (slot + 1) & mask
    }
    if (!found && !insert(t, words, offset, 1, maxBytes, hash, slot)) {
      refused++
      onRefused?.(words, offset, 1)
    }
  }
  if (hashed !== null) rowHashes = hashed
  return refused
}

/** Rows of this many words or more are hashed a batch at a time. */
const BATCH_HASH_WORDS = 4
const EMPTY = new Uint32Array(0)
/** The hashes of the batch being added (reused between calls; EMPTY while a call holds them). */
let rowHashes: Uint32Array = EMPTY

function batchHashes(words: Uint32Array, rows: number, wpr: number): Uint32Array {
  if (rowHashes.length < rows) rowHashes = new Uint32Array(Math.max(rows, 2 * rowHashes.length))
  hashRows(words, rows, wpr, rowHashes)
  return rowHashes
}

/** Batches this long or longer of patterns of 16 bits or fewer are counted directly first. */
const NARROW_MIN_ROWS = 256
/** Per value of 16 bits, its count in the batch being added (zero between calls). */
let narrowCounts: Uint32Array | null = null
/** The batch's distinct values, in the order they first appear. */
let narrowOrder: Uint32Array | null = null
const narrowWord = new Uint32Array(1)

/**
 * The most patterns `t` can hold without refusing one: 7/8 of the largest capacity it may
 * grow to under `maxBytes` (a table refuses only when it can grow no more and is 7/8 full).
 */
function roomFor(t: PatternTable, maxBytes: number): number {
  const slot = slotBytes(t.wordsPerRow)
  let capacity = t.capacity
  if (capacity === 0) {
    if (MIN_CAPACITY * slot > maxBytes) return 0
    capacity = MIN_CAPACITY
  }
  while (capacity * 2 * slot <= maxBytes && capacity < 2 ** 30) capacity *= 2
  return Math.floor((capacity * 7) / 8)
}

/**
 * Adds a batch of one-word patterns whose values all fit in 16 bits (conv sites of up to 16
 * channels, the cheapest rows and the most numerous) by counting them in a direct table
 * first, then adding each distinct value once with its count, in the order values first
 * appear: the same table, slot for slot, as adding the rows one by one, for one hash per
 * distinct value instead of one per row. Returns false, having changed nothing, when the
 * values do not fit in 16 bits or when some new pattern could be refused (the row-by-row
 * path then decides which, as always).
 */
function addNarrowRows(t: PatternTable, words: Uint32Array, rows: number, maxBytes: number): boolean {
  let any = 0
  for (let r = 0; r < rows; r++) any |= words[r]!
  if (any >>> 16 !== 0) return false
  if (narrowCounts === null) narrowCounts = new Uint32Array(1 << 16)
  if (narrowOrder === null) narrowOrder = new Uint32Array(1 << 16)
  const counts = narrowCounts
  const order = narrowOrder
  let distinct = 0
  for (let r = 0; r < rows; r++) {
    const v = words[r]!
    const c = counts[v]!
    if (c === 0) order[distinct++] = v
    counts[v] = c + 1
  }
  const fits = t.size + distinct <= roomFor(t, maxBytes)
  for (let i = 0; i < distinct; i++) {
    const v = order[i]!
    if (fits) {
      narrowWord[0] = v
      addHashed(t, narrowWord, 0, counts[v]!, maxBytes, hashWords(narrowWord, 0, 1))
    }
    counts[v] = 0
  }
  return fits
}
