import { InstrumentError } from '../errors.js'
import {
  type PatternTable,
  createTable,
  mergeTables,
  slotBytes,
  tableAdd,
  tableAddRows,
  tableForEach,
} from '../bits/pattern-table.js'
import { type Layout, type Reducer, assertSameLayout } from '../reducer.js'

/** Options of {@link patternHistogram}. */
export interface PatternHistogramOptions {
  /**
   * Most bytes the table of one site may use (default 64 MiB). A slot costs
   * `4 * ceil(units / 32) + 12` bytes and the table is at most 7/8 full, so 64 MiB holds
   * about 2.3 million distinct 64-unit patterns. Past it, new patterns are counted in
   * `untracked` and the result says `exact: false`.
   */
  maxBytes?: number
}

/** State of {@link patternHistogram}. */
export interface PatternHistogramState extends Layout {
  /** Patterns seen, tracked or not. */
  rows: number
  /** Patterns that were new when the table was full (not stored). */
  untracked: number
  /** Byte cap of the table. */
  maxBytes: number
  /** Exact counts of distinct patterns. */
  table: PatternTable
  /** Rows that came with a label. */
  labeled: number
  /** Counts of (pattern, label) pairs: the pattern's words followed by the label. */
  joint: PatternTable
  /** Counts of labels (one word each). */
  labelCounts: PatternTable
}

/** Result of {@link patternHistogram}. */
export interface PatternHistogramResult {
  /** Patterns seen. */
  rows: number
  /** Units per pattern. */
  units: number
  /** Distinct patterns (a lower bound when `exact` is false). */
  distinct: number
  /** Entropy in bits of the distribution of distinct patterns. */
  entropy: number
  /** `min(units, log2 rows)`: the largest entropy `rows` patterns of `units` bits can have. */
  maxEntropy: number
  /** `entropy / maxEntropy`, 0 when `maxEntropy` is 0. */
  normalizedEntropy: number
  /** Count of the most frequent pattern. */
  topCount: number
  /** `topCount / rows`, 0 when no rows. */
  topFraction: number
  /**
   * True when every pattern was counted. When false, `untracked` patterns met a full
   * table: `distinct` is a lower bound and `entropy` is estimated by taking each
   * untracked pattern as distinct (an upper bound for their share).
   */
  exact: boolean
  /** Patterns not stored because the table was full. */
  untracked: number
  /** Bytes held by the tables. */
  bytes: number
  /**
   * H(A|L) in bits: entropy of the pattern given the example's label. Null unless every
   * row came with a label (`probe.measure(x, { labels })`).
   */
  conditionalEntropy: number | null
  /** I(A;L) = H(A) - H(A|L) in bits; null like `conditionalEntropy`. */
  mutualInformation: number | null
}

const DEFAULT_MAX_BYTES = 64 * 1024 * 1024

/**
 * Entropy in bits of a histogram given by its counts (zeros ignored) and their total.
 * Patterns counted in `total` but absent from `counts` are taken as singletons, which
 * add nothing to the sum of `c log c`.
 *
 * @example
 * ```ts
 * histogramEntropy([2, 1, 1], 4) // 1.5
 * ```
 */
export function histogramEntropy(counts: ArrayLike<number>, total: number): number {
  if (total <= 0) return 0
  let s = 0
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!
    if (c > 0) s += c * Math.log2(c)
  }
  const h = Math.log2(total) - s / total
  return h > 0 ? h : 0
}

/**
 * Exact histogram of distinct patterns, with entropy normalised as in Hartmann et al.
 * (2021): `H / min(units, log2 rows)`. Counting uses an open-addressing table keyed on
 * the packed words (no hashing collisions, no strings); state is O(distinct patterns).
 *
 * @example
 * ```ts
 * const probe = instrument(model, { reducers: { patterns: patternHistogram() } })
 * const results = await probe.measure(xs)
 * for (const [id, r] of Object.entries(results)) {
 *   console.log(id, r.patterns.distinct, 'distinct,', r.patterns.normalizedEntropy.toFixed(3))
 * }
 * ```
 */
export function patternHistogram(
  options: PatternHistogramOptions = {},
): Reducer<PatternHistogramState, PatternHistogramResult> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES
  if (!(maxBytes > 0)) {
    throw new InstrumentError(
      'INVALID_OPTION',
      `patternHistogram({ maxBytes: ${String(maxBytes)} }) is not a positive number of bytes.`,
    )
  }
  return {
    name: 'patternHistogram',
    init: (layout) => ({
      units: layout.units,
      wordsPerRow: layout.wordsPerRow,
      rows: 0,
      untracked: 0,
      maxBytes,
      table: createTable(layout.wordsPerRow),
      labeled: 0,
      joint: createTable(layout.wordsPerRow + 1),
      labelCounts: createTable(1),
    }),
    update(state, batch) {
      assertSameLayout(state, batch, 'update patternHistogram')
      const { words, rows, wordsPerRow, labels } = batch
      state.untracked += tableAddRows(state.table, words, rows, state.maxBytes)
      if (labels !== null) addLabeled(state, batch.words, rows, wordsPerRow, labels)
      state.rows += rows
      return state
    },
    merge(a, b) {
      assertSameLayout(a, b, 'merge patternHistogram states')
      const cap = Math.max(a.maxBytes, b.maxBytes)
      const patterns = mergeTables(a.table, b.table, cap)
      const joint = mergeTables(a.joint, b.joint, cap)
      const labelCounts = mergeTables(a.labelCounts, b.labelCounts, Number.POSITIVE_INFINITY)
      return {
        units: a.units,
        wordsPerRow: a.wordsPerRow,
        rows: a.rows + b.rows,
        untracked: a.untracked + b.untracked + patterns.untracked + joint.untracked,
        maxBytes: cap,
        table: patterns.table,
        labeled: a.labeled + b.labeled,
        joint: joint.table,
        labelCounts: labelCounts.table,
      }
    },
    result(state) {
      const { rows, units, untracked, table } = state
      let topCount = 0
      tableForEach(table, (_slot, c) => {
        if (c > topCount) topCount = c
      })
      if (untracked > 0 && topCount < 1) topCount = 1
      const entropy = histogramEntropy(table.counts, rows)
      const maxEntropy = rows > 0 ? Math.min(units, Math.log2(rows)) : 0
      return {
        rows,
        units,
        distinct: table.size,
        entropy,
        maxEntropy,
        normalizedEntropy: maxEntropy > 0 ? Math.min(1, entropy / maxEntropy) : 0,
        topCount,
        topFraction: rows > 0 ? topCount / rows : 0,
        exact: untracked === 0,
        untracked,
        bytes: [table, state.joint, state.labelCounts].reduce((n, t) => n + t.capacity * slotBytes(t.wordsPerRow), 0),
        ...labelInformation(state, entropy),
      }
    },
  }
}

/** Adds (pattern, label) pairs and labels; joint rows that meet a full table count as untracked. */
function addLabeled(
  state: PatternHistogramState,
  words: Uint32Array,
  rows: number,
  wordsPerRow: number,
  labels: Int32Array,
): void {
  const key = new Uint32Array(wordsPerRow + 1)
  const label = new Uint32Array(1)
  for (let r = 0; r < rows; r++) {
    key.set(words.subarray(r * wordsPerRow, (r + 1) * wordsPerRow))
    key[wordsPerRow] = labels[r]!
    label[0] = labels[r]!
    if (!tableAdd(state.joint, key, 0, 1, state.maxBytes)) state.untracked++
    tableAdd(state.labelCounts, label, 0, 1, Number.POSITIVE_INFINITY)
  }
  state.labeled += rows
}

/** H(A|L) = H(A,L) - H(L) and I(A;L) = H(A) - H(A|L), when every row was labelled. */
function labelInformation(
  state: PatternHistogramState,
  entropy: number,
): { conditionalEntropy: number | null; mutualInformation: number | null } {
  if (state.rows === 0 || state.labeled !== state.rows) return { conditionalEntropy: null, mutualInformation: null }
  const joint = histogramEntropy(state.joint.counts, state.rows)
  const labels = histogramEntropy(state.labelCounts.counts, state.rows)
  const conditional = Math.max(0, joint - labels)
  return { conditionalEntropy: conditional, mutualInformation: Math.max(0, entropy - conditional) }
}
