/* Per-class sets of distinct patterns and the nearest known pattern of an example. */
import { concatRows } from '../bits/concat.js'
import { type HammingIndex, hammingIndex, nearestPattern } from '../bits/hamming-index.js'
import { createTable, tableAdd } from '../bits/pattern-table.js'
import type { RetainedPatterns } from '../compare/measurement.js'
import { InstrumentError } from '../errors.js'

/*
 * The data of a monitor: per monitored site, per class, the exact set of distinct
 * example patterns seen (an example's pattern is all its positions' bits, concatenated),
 * with a nearest-Hamming index built when first searched.
 */

/** A monitored site: its id and the bits of one example's pattern. */
export interface MonitoredSite {
  readonly id: string
  /** Bits per example pattern: the site's units times its positions. */
  readonly bits: number
  /** Rows of the site per example: its positions (1 for a dense site). */
  readonly rowsPerExample: number
  /** Units of one row. */
  readonly units: number
}

/** The distinct patterns of one class at one site. */
export interface PatternSet {
  /** Distinct patterns, `rows * ceil(bits / 32)` words. */
  words: Uint32Array
  rows: number
}

/** Bytes one stored pattern of `bits` bits costs (words, plus its share of the index). */
export function bytesPerPattern(bits: number): number {
  return 4 * Math.ceil(bits / 32) + 4 * Math.ceil(bits / 16)
}

/** Example patterns of a site from a measurement's retained rows: one dense pattern per example. */
export function examplePatterns(site: MonitoredSite, retained: RetainedPatterns, examples: number): Uint32Array[] {
  if (retained.units !== site.units || retained.rows !== examples * site.rowsPerExample || retained.positions !== site.rowsPerExample) {
    throw new InstrumentError(
      'MODEL_MISMATCH',
      `Site "${site.id}" gave ${retained.rows} rows of ${retained.units} units for ${examples} examples; the monitor ` +
        `expects ${site.rowsPerExample} rows of ${site.units} units per example. Use the monitor with the model it was built for.`,
      { site: site.id },
    )
  }
  const out: Uint32Array[] = []
  for (let e = 0; e < examples; e++) out.push(concatRows(retained.words, e * site.rowsPerExample, site.rowsPerExample, site.units))
  return out
}

/** The distinct patterns of a table, packed one after the other. */
function tableRows(t: ReturnType<typeof createTable>): PatternSet {
  const wpr = t.wordsPerRow
  const words = new Uint32Array(t.size * wpr)
  let r = 0
  for (let s = 0; s < t.capacity; s++) {
    if (t.counts[s] === 0) continue
    words.set(t.keys.subarray(s * wpr, (s + 1) * wpr), r * wpr)
    r++
  }
  return { words, rows: t.size }
}

/** Collects distinct patterns per class, exactly, under a byte budget shared by all sets. */
export class SetBuilder {
  private readonly tables = new Map<number, ReturnType<typeof createTable>>()
  bytes = 0

  constructor(
    private readonly bits: number,
    private readonly budget: { left: number },
  ) {}

  add(cls: number, pattern: Uint32Array): void {
    const wpr = Math.ceil(this.bits / 32)
    let table = this.tables.get(cls)
    if (table === undefined) {
      table = createTable(wpr, 0)
      this.tables.set(cls, table)
    }
    const size = table.size
    tableAdd(table, pattern, 0, 1, Number.POSITIVE_INFINITY)
    if (table.size > size) {
      this.budget.left -= bytesPerPattern(this.bits)
      if (this.budget.left < 0) {
        throw new InstrumentError(
          'INVALID_INPUT',
          'The monitor would hold more than its maxBytes of distinct patterns. Give fewer examples or fewer sites, ' +
            'or raise maxBytes (the memory is about 4 * ceil(bits / 32) + 4 * ceil(bits / 16) bytes per distinct pattern).',
        )
      }
    }
  }

  /** The sets, keyed by class. */
  sets(): Map<number, PatternSet> {
    const out = new Map<number, PatternSet>()
    for (const [cls, t] of this.tables) out.set(cls, tableRows(t))
    return out
  }
}

/** Union of two sets of distinct patterns. */
export function unionSets(a: PatternSet, b: PatternSet, bits: number): PatternSet {
  const wpr = Math.ceil(bits / 32)
  const t = createTable(wpr, 0)
  for (const set of [a, b]) for (let r = 0; r < set.rows; r++) tableAdd(t, set.words, r * wpr, 1, Number.POSITIVE_INFINITY)
  return tableRows(t)
}

const indexes = new WeakMap<PatternSet, HammingIndex>()

/** Exact Hamming distance from `pattern` to the nearest pattern of the set (Infinity for an empty set). */
export function nearestDistance(set: PatternSet, bits: number, pattern: Uint32Array): number {
  let index = indexes.get(set)
  if (index === undefined) {
    index = hammingIndex(set.words, set.rows, bits)
    indexes.set(set, index)
  }
  return nearestPattern(index, pattern, 0).distance
}

/** Bytes of the set's index, once built (0 before its first search, or when it scans). */
export function indexBytes(set: PatternSet): number {
  const blocks = indexes.get(set)?.blocks
  return blocks === undefined || blocks === null ? 0 : blocks.reduce((n, b) => n + b.offsets.byteLength + b.ids.byteLength, 0)
}
