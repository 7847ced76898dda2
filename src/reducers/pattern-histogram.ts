/* The patternHistogram reducer: exact distinct patterns and entropies, with labels H(A|L) and I(A;L). */
import type { InstrumentError } from '../errors.js'
import { type Declaration, bytes, declareOptions, integer, oneOf } from '../options.js'
import { checkTableStructure } from '../bits/table-check.js'
import { mergeTables } from '../bits/table-merge.js'
import { type PatternTable, createTable, tableAdd, tableAddRows, tableBytes, tableForEach, tableGet } from '../bits/pattern-table.js'
import { type Layout, type Reducer, assertSameLayout, checkLayout, corruptState, isCount, onlyKnownFields } from '../reducer.js'
import { histogramEntropy, labelInformation } from './entropy.js'
import {
  type Overflow,
  type OverflowEstimates,
  mergeOverflow,
  overflowAdd,
  overflowEstimates,
  overflowProblem,
  sketchRows,
  startOverflow,
} from './histogram-overflow.js'

export { histogramEntropy } from './entropy.js'

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
  /**
   * Patterns the heavy-hitter summary monitors once the cap is reached (default 256).
   * Past the cap the state also keeps a HyperLogLog sketch of all distinct patterns
   * (64 KiB) and a Space-Saving summary of the refused rows (`heavyHitters * (4 *
   * ceil(units / 32) + 24)` bytes and its index), on top of `maxBytes`; the result then
   * has `estimates`.
   */
  heavyHitters?: number
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
  /** Sketches kept once the pattern table is full; null (or absent, in states written before them) until then. */
  overflow?: Overflow | null
}

/** Result of {@link patternHistogram}. */
export interface PatternHistogramResult {
  /** What made this result (`result.kind`), so that it is found whatever the reducer is named. */
  kind: 'patternHistogram'
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
  topShare: number
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
  /**
   * Past the cap (`untracked > 0`): the distinct count estimated with its error, bounds
   * on the entropy and on the top count, and the most frequent untracked patterns. Null
   * when every pattern was counted (or for a state saved before sketches existed).
   */
  estimates: OverflowEstimates | null
}

const DEFAULT_MAX_BYTES = 64 * 1024 * 1024

const OPTIONS = /* @__PURE__ */ declareOptions(
  'patternHistogram(options)',
  () =>
    ({
      maxBytes: { check: bytes, default: DEFAULT_MAX_BYTES },
      classPrior: { check: oneOf(['empirical', 'uniform']), default: 'empirical' },
      heavyHitters: { check: integer(1, 2 ** 20), default: 256 },
    }) satisfies Declaration<PatternHistogramOptions>,
)

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
export function patternHistogram(options: PatternHistogramOptions = {}): Reducer<PatternHistogramState, PatternHistogramResult> {
  const { heavyHitters, classPrior: prior, maxBytes } = OPTIONS.parse(options)
  return {
    name: 'patternHistogram',
    spec: { module: 'relu-patterns', factory: 'patternHistogram', options: structuredClone(options ?? {}) },
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
      overflow: null,
    }),
    update(state, batch) {
      checkShape(state)
      assertSameLayout(state, batch, 'update patternHistogram')
      const { words, rows, wordsPerRow, labels } = batch
      const before = state.overflow ?? null
      if (before !== null) {
        const problem = overflowProblem(before, wordsPerRow, state.untracked)
        if (problem !== null) throw corrupt(problem)
      }
      // sketches start with the first refused row; a state that refused rows before they
      // existed (saved by an earlier version) never gets them, as they could not cover its past
      const sketching = before !== null || state.untracked === 0
      const refused = sketching
        ? (w: Uint32Array, offset: number, count: number): void => {
            state.overflow ??= startOverflow(state.table, heavyHitters)
            overflowAdd(state.overflow, w, offset, count)
          }
        : undefined
      state.untracked += tableAddRows(state.table, words, rows, room(state, state.table), refused)
      // past the cap every pattern goes into the distinct sketch: after a merge the table may take new ones
      if (before !== null) sketchRows(before, words, rows)
      if (labels !== null) addLabeled(state, batch.words, rows, wordsPerRow, labels)
      state.rows += rows
      return state
    },
    merge: (a, b) => merge(a, b, heavyHitters),
    result: (state) => result(state, prior),
  }
}

function merge(a: PatternHistogramState, b: PatternHistogramState, heavyHitters: number): PatternHistogramState {
  checkHistogram(a)
  checkHistogram(b)
  assertSameLayout(a, b, 'merge patternHistogram states')
  const cap = Math.max(a.maxBytes, b.maxBytes)
  const refused: [Uint32Array, number][] = []
  const patterns = mergeTables(
    a.table,
    b.table,
    cap,
    (w, offset, count) => void refused.push([w.slice(offset, offset + a.wordsPerRow), count]),
  )
  // a side that refused rows without sketches (saved by an earlier version) leaves the merge without them
  const unsketched = (s: PatternHistogramState): boolean => s.untracked > 0 && s.overflow == null
  let overflow =
    unsketched(a) || unsketched(b) ? null : mergeOverflow(a.overflow ?? null, b.overflow ?? null, a.table, b.table, heavyHitters)
  if (overflow === null && refused.length > 0 && !unsketched(a) && !unsketched(b)) overflow = startOverflow(patterns.table, heavyHitters)
  if (overflow !== null) for (const [w, count] of refused) overflowAdd(overflow, w, 0, count)
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
    overflow,
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
    kind: 'patternHistogram',
    rows,
    units,
    distinct: table.size,
    entropy,
    maxEntropy,
    normalizedEntropy: maxEntropy > 0 ? Math.min(1, entropy / maxEntropy) : 0,
    topCount,
    topShare: rows > 0 ? topCount / rows : 0,
    exact: untracked === 0 && state.untrackedJoint === 0 && state.untrackedLabels === 0,
    untracked,
    untrackedLabeled: Math.min(state.labeled, state.untrackedJoint + state.untrackedLabels),
    bytes: totalBytes(state),
    patternShare: rows > 0 ? table.size / rows : 0,
    ...labelInformation(state, entropy, maxEntropy, prior),
    estimates: untracked > 0 && state.overflow != null ? overflowEstimates(state.overflow, table, rows, untracked, entropy) : null,
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
  onlyKnownFields(
    state,
    [
      'units',
      'wordsPerRow',
      'rows',
      'untracked',
      'untrackedJoint',
      'untrackedLabels',
      'maxBytes',
      'table',
      'labeled',
      'joint',
      'labelCounts',
      'overflow',
    ],
    'patternHistogram',
  )
  for (const t of [state.table, state.joint, state.labelCounts]) {
    if (typeof t === 'object' && t !== null)
      onlyKnownFields(t, ['wordsPerRow', 'capacity', 'size', 'keys', 'hashes', 'counts'], 'patternHistogram')
  }
  for (const key of ['rows', 'untracked', 'untrackedJoint', 'untrackedLabels', 'labeled'] as const) {
    if (!isCount(state[key])) throw corrupt(`${key} is ${String(state[key])}`)
  }
  if (!(state.maxBytes > 0)) throw corrupt(`maxBytes is ${String(state.maxBytes)}`)
  const tables = [
    [state.table, state.wordsPerRow],
    [state.joint, state.wordsPerRow + 1],
    [state.labelCounts, 1],
  ] as const
  for (const [t, wpr] of tables) {
    const ok =
      typeof t === 'object' &&
      t !== null &&
      t.wordsPerRow === wpr &&
      t.keys instanceof Uint32Array &&
      t.hashes instanceof Uint32Array &&
      t.counts instanceof Float64Array &&
      t.keys.length === t.capacity * wpr &&
      t.counts.length === t.capacity &&
      t.hashes.length === t.capacity &&
      isCount(t.size) &&
      (t.capacity === 0 || t.size < t.capacity)
    if (!ok) throw corrupt('a table does not match its layout')
  }
  const o = state.overflow
  if (
    o != null &&
    (typeof o !== 'object' ||
      typeof o.distinct !== 'object' ||
      typeof o.refused !== 'object' ||
      o.refused === null ||
      o.refused.wordsPerRow !== state.wordsPerRow)
  ) {
    throw corrupt('the sketches do not match the layout')
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
    tableForEach(t, (_slot, c) => {
      n += c
    })
    return n
  }
  if (sum(state.table) + state.untracked !== state.rows) throw corrupt('counts and untracked do not add up to rows')
  if (state.labeled > state.rows) throw corrupt('more labelled rows than rows')
  if (sum(state.joint) + state.untrackedJoint !== state.labeled) throw corrupt('pair counts do not add up to labelled rows')
  if (sum(state.labelCounts) + state.untrackedLabels !== state.labeled) throw corrupt('label counts do not add up to labelled rows')
  const problem = overflowProblem(state.overflow, state.wordsPerRow, state.untracked, true)
  if (problem !== null) throw corrupt(problem)
  checkPatterns(state)
}

/**
 * O(state) checks of what the patterns say: no bit set past the units, and where nothing
 * went untracked, every (pattern, label) pair of a pattern the table holds at least as
 * often, and the label counts the sums of the pairs (else H(A|L) could exceed H(A)).
 */
function checkPatterns(state: PatternHistogramState): void {
  const wpr = state.wordsPerRow
  const tail = state.units % 32
  const mask = tail === 0 ? 0 : ~((1 << tail) - 1) >>> 0
  const padded = (keys: Uint32Array, at: number): boolean => mask !== 0 && (keys[at + wpr - 1]! & mask) >>> 0 !== 0
  tableForEach(state.table, (slot) => {
    if (padded(state.table.keys, slot * wpr)) throw corrupt('a pattern has bits set past its units')
  })
  const exact = state.untracked === 0 && state.untrackedJoint === 0 && state.untrackedLabels === 0
  const perPattern = createTable(wpr)
  const perLabel = createTable(1)
  const joint = state.joint
  const label = new Uint32Array(1)
  tableForEach(joint, (slot, count) => {
    const at = slot * (wpr + 1)
    if (padded(joint.keys, at)) throw corrupt('a (pattern, label) pair has bits set past its units')
    if (!exact) return
    tableAdd(perPattern, joint.keys, at, count, Number.POSITIVE_INFINITY)
    label[0] = joint.keys[at + wpr]!
    tableAdd(perLabel, label, 0, count, Number.POSITIVE_INFINITY)
  })
  if (!exact) return
  tableForEach(perPattern, (slot, count) => {
    if (tableGet(state.table, perPattern.keys, slot * wpr) < count)
      throw corrupt('a labelled pattern is counted more often than the pattern itself')
  })
  let labels = 0
  tableForEach(state.labelCounts, (slot, count) => {
    labels++
    if (tableGet(perLabel, state.labelCounts.keys, slot) !== count)
      throw corrupt('the label counts are not the sums of the (pattern, label) pairs')
  })
  if (labels !== perLabel.size) throw corrupt('the label counts are not the sums of the (pattern, label) pairs')
}

/** Adds (pattern, label) pairs and labels, each under what the cap leaves. */
function addLabeled(state: PatternHistogramState, words: Uint32Array, rows: number, wordsPerRow: number, labels: Int32Array): void {
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
