/* Checks of a pattern table's invariants, for tables that come from outside (states read back). */
import { InstrumentError } from '../errors.js'
import { hashWords } from './hash.js'
import type { PatternTable } from './pattern-table.js'

/*
 * Checks of a pattern table's invariants (see PatternTable), for tables that come from
 * outside: deserialised text, another worker. A crafted table must not hang a probe loop
 * or give a wrong count.
 */

const TABLE_KEYS = ['wordsPerRow', 'capacity', 'size', 'keys', 'hashes', 'counts']

/**
 * True when `x` has exactly the fields of a {@link PatternTable}, with their types
 * (numbers and the three typed arrays): what `deserialize` takes for a table and checks.
 */
export function isTableShaped(x: Record<string, unknown>): boolean {
  const keys = Object.keys(x)
  return (
    keys.length === TABLE_KEYS.length &&
    TABLE_KEYS.every((k) => keys.includes(k)) &&
    typeof x['wordsPerRow'] === 'number' &&
    typeof x['capacity'] === 'number' &&
    typeof x['size'] === 'number' &&
    x['keys'] instanceof Uint32Array &&
    x['hashes'] instanceof Uint32Array &&
    x['counts'] instanceof Float64Array
  )
}

/**
 * The O(capacity) invariants: structure, counts, size and probe runs; with `duplicates`,
 * also no pattern twice (looked for within each run, where a pattern's copies must be).
 */
function checkStructure(t: PatternTable, duplicates: boolean): void {
  const bad = (what: string): never => {
    throw new InstrumentError('CORRUPT_DATA', `Inconsistent pattern table: ${what}.`)
  }
  const { wordsPerRow: wpr, capacity: cap } = t
  if (!Number.isInteger(wpr) || wpr < 1 || wpr > 1 << 20) bad(`wordsPerRow is ${String(wpr)}`)
  if (!Number.isInteger(cap) || cap < 0 || (cap & (cap - 1)) !== 0 || cap > 2 ** 30)
    bad(`capacity ${String(cap)} is not 0 or a power of two`)
  if (!(t.keys instanceof Uint32Array) || !(t.hashes instanceof Uint32Array) || !(t.counts instanceof Float64Array))
    bad('arrays of the wrong type')
  if (t.keys.length !== cap * wpr || t.hashes.length !== cap || t.counts.length !== cap) bad(`array lengths do not match capacity ${cap}`)
  let size = 0
  for (let s = 0; s < cap; s++) {
    const c = t.counts[s]!
    if (c === 0) continue
    if (!(c > 0) || !Number.isInteger(c)) bad(`count ${c} in slot ${s}`)
    if (hashWords(t.keys, s * wpr, wpr) !== t.hashes[s]) bad(`slot ${s} holds a hash that is not its pattern's`)
    size++
  }
  if (size !== t.size || (cap > 0 && size >= cap)) bad(`size ${String(t.size)} but ${size} patterns in ${cap} slots`)
  if (size === 0) return
  // every pattern must be reachable from its home slot without crossing an empty one
  let empty = 0
  while (t.counts[empty] !== 0) empty++
  const mask = cap - 1
  let runStart = (empty + 1) & mask
  for (let i = 1; i <= cap; i++) {
    const s = (empty + i) & mask
    if (t.counts[s] === 0) {
      if (duplicates && ((s - runStart) & mask) > 1) duplicatesInRun(t, runStart, (s - runStart) & mask)
      runStart = (s + 1) & mask
      continue
    }
    const home = t.hashes[s]! & mask
    if (((s - home) & mask) > ((s - runStart) & mask)) bad(`the pattern in slot ${s} cannot be found from its home slot ${home}`)
  }
}

/**
 * Throws `CORRUPT_DATA` unless `t` keeps every invariant of a {@link PatternTable},
 * in O(capacity + size log size) time whatever the values (O(capacity) for tables as the library fills them): what `deserialize` runs on every table
 * it reads, so that a crafted state can neither hang a later update nor give a wrong count.
 */
export function checkTable(t: PatternTable): void {
  checkStructure(t, true)
}

/** Throws when two of the `length` slots from `start` (a run, wrapping) hold the same pattern. */
function duplicatesInRun(t: PatternTable, start: number, length: number): void {
  const { wordsPerRow: wpr, hashes, keys } = t
  const mask = t.capacity - 1
  const order = (x: number, y: number): number => {
    const d = hashes[x]! - hashes[y]!
    if (d !== 0) return d
    for (let w = 0; w < wpr; w++) {
      const e = keys[x * wpr + w]! - keys[y * wpr + w]!
      if (e !== 0) return e
    }
    return 0
  }
  const same = (x: number, y: number): never => {
    throw new InstrumentError(
      'CORRUPT_DATA',
      `Inconsistent pattern table: slots ${Math.min(x, y)} and ${Math.max(x, y)} hold the same pattern.`,
    )
  }
  if (length <= 16) {
    for (let i = 1; i < length; i++) {
      const a = (start + i) & mask
      for (let j = 0; j < i; j++) {
        const b = (start + j) & mask
        if (hashes[a] === hashes[b] && order(a, b) === 0) same(a, b)
      }
    }
    return
  }
  const sorted = Array.from({ length }, (_, i) => (start + i) & mask).sort(order)
  for (let i = 1; i < sorted.length; i++) if (order(sorted[i - 1]!, sorted[i]!) === 0) same(sorted[i - 1]!, sorted[i]!)
}

/** The O(capacity) checks of {@link checkTable}, without the search for duplicates: cheap enough for every merge. */
export function checkTableStructure(t: PatternTable): void {
  checkStructure(t, false)
}
