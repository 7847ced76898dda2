import { InstrumentError } from '../errors.js'
import { assertOptions } from '../keys.js'
import { checkTableStructure } from '../bits/table-check.js'
import {
  type PatternTable,
  createTable,
  mergeTables,
  tableAdd,
  tableAddRows,
  tableBytes,
  tableForEach,
} from '../bits/pattern-table.js'
import { type Layout, type Reducer, assertSameLayout, checkLayout, corruptState, isCount } from '../reducer.js'

/** Options of {@link patternHistogram}. */
export interface PatternHistogramOptions {
  /**
   * Most bytes the state of one site may hold (default 64 MiB), its tables together:
   * patterns, and with labels (pattern, label) pairs and labels. A slot costs
   * `4 * ceil(units / 32) + 12` bytes and a table is at most 7/8 full, so 64 MiB holds
   * about 2.3 million distinct 64-unit patterns. Past it, new patterns are counted in
   * `untracked` (and new pairs in `untrackedLabeled`) and the result says `exact: false`.
   */
  maxBytes?: number
  /**
   * The class prior of H(A|L) and I(A;L): `'empirical'` (default), the label frequencies
   * of the measured rows, H(A|L) = H(A,L) - H(L); or `'uniform'`, every seen class equally
   * likely, H(A|L) = H(A,L) - log2(classes), as the reference implementation of Hartmann et
   * al. assumes. The two agree on balanced data.
   */
  classPrior?: 'empirical' | 'uniform'
}

/** State of {@link patternHistogram}. */
export interface PatternHistogramState extends Layout {
  /** Patterns seen, tracked or not. */
  rows: number
  /** Rows whose pattern was new when the state was full (not stored); `<= rows`. */
  untracked: number
  /** Labelled rows whose (pattern, label) pair was not stored; `<= labeled`. */
  untrackedJoint: number
  /** Labelled rows whose label was not stored; `<= labeled`. */
  untrackedLabels: number
  /** Byte cap of the whole state (all three tables). */
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
   * True when every pattern (and every labelled pair) was counted. When `untracked` is
   * not 0, `distinct` is a lower bound and `entropy` is estimated by taking each
   * untracked pattern as distinct (an upper bound for their share).
   */
  exact: boolean
  /** Rows whose pattern was not stored because the state was full; never more than `rows`. */
  untracked: number
  /** Labelled rows whose (pattern, label) pair or label was not stored; label information is then null. */
  untrackedLabeled: number
  /** Bytes held by the tables. */
  bytes: number
  /**
   * H(A|L) in bits: entropy of the pattern given the example's label. Null unless every
   * row came with a label (`probe.measure(x, { labels })`) and every pair was stored.
   */
  conditionalEntropy: number | null
  /** I(A;L) = H(A) - H(A|L) in bits; null like `conditionalEntropy`. */
  mutualInformation: number | null
  /** `distinct / rows`: the number of patterns as a share of rows (the reference's "% Num Patterns"), 0 when no rows. */
  patternShare: number
  /** Labels seen (classes), when label information is reported; else null. */
  classes: number | null
  /**
   * H(A|L) over its largest value: `sum_l p_l min(units, log2 n_l)` with the empirical
   * prior (at most 1); with the uniform prior the reference's `min(units, log2(rows /
   * classes))`, which bounds it only for balanced classes. Null when the bound is not positive.
   */
  normalizedConditionalEntropy: number | null
  /**
   * I(A;L) over `min(H(L), maxEntropy)` with the empirical prior (at most 1); with the
   * uniform prior the reference's `maxEntropy - min(units, log2(rows / classes))`, which
   * can be smaller than I(A;L) (values above 1 when units lies between log2(rows / classes)
   * and log2 rows). Null when the denominator is not positive.
   */
  normalizedMutualInformation: number | null
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
  assertOptions('patternHistogram(options)', options, ['maxBytes', 'classPrior'])
  const prior = options.classPrior ?? 'empirical'
  if (prior !== 'empirical' && prior !== 'uniform') {
    throw new InstrumentError('INVALID_OPTION', `patternHistogram({ classPrior }) must be 'empirical' or 'uniform', not ${JSON.stringify(prior)}.`)
  }
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES
  if (typeof maxBytes !== 'number' || !(maxBytes > 0)) {
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
      untrackedJoint: 0,
      untrackedLabels: 0,
      maxBytes,
      table: createTable(layout.wordsPerRow, 0),
      labeled: 0,
      joint: createTable(layout.wordsPerRow + 1, 0),
      labelCounts: createTable(1, 0),
    }),
    update(state, batch) {
      checkShape(state)
      assertSameLayout(state, batch, 'update patternHistogram')
      const { words, rows, wordsPerRow, labels } = batch
      state.untracked += tableAddRows(state.table, words, rows, room(state, state.table))
      if (labels !== null) addLabeled(state, batch.words, rows, wordsPerRow, labels)
      state.rows += rows
      return state
    },
    merge,
    result: (state) => result(state, prior),
  }
}

function merge(a: PatternHistogramState, b: PatternHistogramState): PatternHistogramState {
  checkHistogram(a)
  checkHistogram(b)
  assertSameLayout(a, b, 'merge patternHistogram states')
  const cap = Math.max(a.maxBytes, b.maxBytes)
  const patterns = mergeTables(a.table, b.table, cap)
  const joint = mergeTables(a.joint, b.joint, cap - tableBytes(patterns.table))
  const labelCounts = mergeTables(a.labelCounts, b.labelCounts, cap - tableBytes(patterns.table) - tableBytes(joint.table))
  return {
    units: a.units,
    wordsPerRow: a.wordsPerRow,
    rows: a.rows + b.rows,
    untracked: a.untracked + b.untracked + patterns.untracked,
    untrackedJoint: a.untrackedJoint + b.untrackedJoint + joint.untracked,
    untrackedLabels: a.untrackedLabels + b.untrackedLabels + labelCounts.untracked,
    maxBytes: cap,
    table: patterns.table,
    labeled: a.labeled + b.labeled,
    joint: joint.table,
    labelCounts: labelCounts.table,
  }
}

function result(state: PatternHistogramState, prior: 'empirical' | 'uniform' = 'empirical'): PatternHistogramResult {
  checkHistogram(state)
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
    exact: untracked === 0 && state.untrackedJoint === 0 && state.untrackedLabels === 0,
    untracked,
    untrackedLabeled: Math.min(state.labeled, state.untrackedJoint + state.untrackedLabels),
    bytes: totalBytes(state),
    patternShare: rows > 0 ? table.size / rows : 0,
    ...labelInformation(state, entropy, maxEntropy, prior),
  }
}

function totalBytes(state: PatternHistogramState): number {
  return tableBytes(state.table) + tableBytes(state.joint) + tableBytes(state.labelCounts)
}

/** Bytes table `t` may grow to: the cap less what the other tables hold. */
function room(state: PatternHistogramState, t: PatternTable): number {
  return state.maxBytes - totalBytes(state) + tableBytes(t)
}

const corrupt = (what: string): InstrumentError => corruptState('patternHistogram', what)

/** O(1) checks of a state's fields, enough for `update` to run in bounded time. */
function checkShape(state: PatternHistogramState): void {
  checkLayout(state, 'patternHistogram')
  for (const key of ['rows', 'untracked', 'untrackedJoint', 'untrackedLabels', 'labeled'] as const) {
    if (!isCount(state[key])) throw corrupt(`${key} is ${String(state[key])}`)
  }
  if (!(state.maxBytes > 0)) throw corrupt(`maxBytes is ${String(state.maxBytes)}`)
  const tables = [[state.table, state.wordsPerRow], [state.joint, state.wordsPerRow + 1], [state.labelCounts, 1]] as const
  for (const [t, wpr] of tables) {
    const ok = typeof t === 'object' && t !== null && t.wordsPerRow === wpr && t.keys instanceof Uint32Array &&
      t.hashes instanceof Uint32Array && t.counts instanceof Float64Array && t.keys.length === t.capacity * wpr &&
      t.counts.length === t.capacity && t.hashes.length === t.capacity && isCount(t.size) && (t.capacity === 0 || t.size < t.capacity)
    if (!ok) throw corrupt('a table does not match its layout')
  }
}

/**
 * Throws `CORRUPT_DATA` unless `state` keeps every invariant of a `patternHistogram`
 * state (O(state)): every table's invariants, and counts that add up to the rows.
 */
export function checkHistogram(state: PatternHistogramState): void {
  checkShape(state)
  checkTableStructure(state.table)
  checkTableStructure(state.joint)
  checkTableStructure(state.labelCounts)
  const sum = (t: PatternTable): number => {
    let n = 0
    tableForEach(t, (_slot, c) => void (n += c))
    return n
  }
  if (sum(state.table) + state.untracked !== state.rows) throw corrupt('counts and untracked do not add up to rows')
  if (state.labeled > state.rows) throw corrupt('more labelled rows than rows')
  if (sum(state.joint) + state.untrackedJoint !== state.labeled) throw corrupt('pair counts do not add up to labelled rows')
  if (sum(state.labelCounts) + state.untrackedLabels !== state.labeled) throw corrupt('label counts do not add up to labelled rows')
}

/** Adds (pattern, label) pairs and labels, each under what the cap leaves. */
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
    if (!tableAdd(state.joint, key, 0, 1, room(state, state.joint))) state.untrackedJoint++
    if (!tableAdd(state.labelCounts, label, 0, 1, room(state, state.labelCounts))) state.untrackedLabels++
  }
  state.labeled += rows
}

type LabelInformation = Pick<PatternHistogramResult, 'conditionalEntropy' | 'mutualInformation' | 'classes' | 'normalizedConditionalEntropy' | 'normalizedMutualInformation'>

/**
 * H(A|L) and I(A;L) = H(A) - H(A|L), when every row was labelled. With the empirical class
 * prior H(A|L) = H(A,L) - H(L); with the uniform prior the reference assumes,
 * H(A|L) = H(A,L) - log2(classes).
 */
function labelInformation(state: PatternHistogramState, entropy: number, maxEntropy: number, prior: 'empirical' | 'uniform'): LabelInformation {
  const complete = state.labeled === state.rows && state.untrackedJoint === 0 && state.untrackedLabels === 0
  if (state.rows === 0 || !complete) return { conditionalEntropy: null, mutualInformation: null, classes: null, normalizedConditionalEntropy: null, normalizedMutualInformation: null }
  const { rows, units } = state
  const classes = state.labelCounts.size
  const joint = histogramEntropy(state.joint.counts, rows)
  const ratio = (x: number, bound: number): number | null => (bound > 0 ? x / bound : null)
  if (prior === 'uniform') {
    // the reference's formulas as they are: H(A,L) - log2 k (negative on imbalanced data,
    // where the uniform prior is wrong), normalised by its bounds for balanced classes
    const conditional = joint - Math.log2(classes)
    const mutual = entropy - conditional
    const maxConditional = Math.min(units, Math.log2(rows / classes))
    return {
      conditionalEntropy: conditional,
      mutualInformation: mutual,
      classes,
      normalizedConditionalEntropy: ratio(conditional, maxConditional),
      normalizedMutualInformation: ratio(mutual, maxEntropy - maxConditional),
    }
  }
  const labels = histogramEntropy(state.labelCounts.counts, rows)
  const conditional = Math.max(0, joint - labels)
  const mutual = Math.max(0, entropy - conditional)
  // true bounds: H(A|L) <= sum_l p_l min(C, log2 n_l); I(A;L) <= min(H(L), max H(A))
  let maxConditional = 0
  tableForEach(state.labelCounts, (_slot, n) => {
    maxConditional += (n / rows) * Math.min(units, Math.log2(n))
  })
  return {
    conditionalEntropy: conditional,
    mutualInformation: mutual,
    classes,
    normalizedConditionalEntropy: ratio(conditional, maxConditional),
    normalizedMutualInformation: ratio(mutual, Math.min(labels, maxEntropy)),
  }
}
