/* The hamming reducer: mean Hamming distance between patterns of a batch, exact or sampled. */
import { hashWords } from '../bits/hash.js'
import { uniform } from '../bits/random.js'
import { hammingDistance } from '../bits/popcount.js'
import { type Declaration, declareOptions, integer, number, oneOf } from '../options.js'
import {
  type Layout,
  type PackedBatch,
  type Reducer,
  assertSameLayout,
  checkLayout,
  corruptState,
  isCount,
  onlyKnownFields,
} from '../reducer.js'

const OPTIONS = /* @__PURE__ */ declareOptions(
  'hamming(options)',
  () =>
    ({
      pairs: { check: oneOf(['all', 'samePosition']), default: 'all' },
      maxPairs: { check: integer(1), default: 1 << 20 },
      seed: { check: number(), default: 0 },
    }) satisfies Declaration<HammingOptions>,
)

/** Options of {@link hamming}. */
export interface HammingOptions {
  /**
   * Which rows are paired within a batch. `'all'` (default): every pair of rows (for conv
   * sites at position granularity, patterns of any position and example). `'samePosition'`:
   * only rows of different examples at the same spatial position.
   */
  pairs?: 'all' | 'samePosition'
  /**
   * Most pairs compared exactly per batch (default 2^20: every pair of a batch of up to
   * 1448 rows). A batch with more pairs is estimated from this many pairs drawn uniformly
   * with replacement, seeded by the batch's own words, so results are reproducible.
   */
  maxPairs?: number
  /** Extra seed mixed into the sampling (default 0). */
  seed?: number
}

/** State of {@link hamming}. */
export interface HammingState extends Layout {
  /** Patterns seen. */
  rows: number
  /** Batches seen. */
  batches: number
  /** Pairs compared (exactly or sampled). */
  pairs: number
  /** Pairs that were sampled rather than enumerated. */
  sampledPairs: number
  /** Sum of distances (in bits) over compared pairs. */
  distanceSum: number
  /** `histogram[d]` = compared pairs at distance `d` bits, `units + 1` entries. */
  histogram: Float64Array
}

/** Result of {@link hamming}. */
export interface HammingResult {
  /** What made this result (`result.kind`), so that it is found whatever the reducer is named. */
  kind: 'hamming'
  /** Patterns seen. */
  rows: number
  /** Units per pattern. */
  units: number
  /** Batches seen. */
  batches: number
  /** Pairs compared. */
  pairs: number
  /** Mean Hamming distance over compared pairs divided by `units`, in [0, 1] (0 when no pairs). */
  meanDistance: number
  /** `histogram[d]` = pairs at distance `d` bits. */
  histogram: Float64Array
  /** True when no batch was sampled. */
  exact: boolean
  /** Pairs that were sampled. */
  sampledPairs: number
}

/** Row groups whose members are paired: the whole batch, or each position's examples. */
function groups(batch: PackedBatch, mode: 'all' | 'samePosition'): { count: number; size: number; row: (g: number, i: number) => number } {
  if (mode === 'all' || batch.positions <= 1) return { count: 1, size: batch.rows, row: (_g, i) => i }
  const p = batch.positions
  return { count: p, size: batch.rows / p, row: (g, i) => i * p + g }
}

function addPairs(state: HammingState, batch: PackedBatch, mode: 'all' | 'samePosition', maxPairs: number, seed: number): void {
  const { words, wordsPerRow } = batch
  const g = groups(batch, mode)
  const perGroup = (g.size * (g.size - 1)) / 2
  const total = perGroup * g.count
  if (total === 0) return
  const hist = state.histogram
  if (total <= maxPairs) {
    let sum = 0
    for (let k = 0; k < g.count; k++) {
      for (let i = 1; i < g.size; i++) {
        const ri = g.row(k, i)
        for (let j = 0; j < i; j++) {
          const d = hammingDistance(words, ri, words, g.row(k, j), wordsPerRow)
          hist[d] = hist[d]! + 1
          sum += d
        }
      }
    }
    state.pairs += total
    state.distanceSum += sum
    return
  }
  const random = uniform(hashWords(words, 0, batch.rows * wordsPerRow) ^ seed)
  let sum = 0
  for (let s = 0; s < maxPairs; s++) {
    const k = Math.floor(random() * g.count)
    const i = Math.floor(random() * g.size)
    let j = Math.floor(random() * (g.size - 1))
    if (j >= i) j++
    const d = hammingDistance(words, g.row(k, i), words, g.row(k, j), wordsPerRow)
    hist[d] = hist[d]! + 1
    sum += d
  }
  state.pairs += maxPairs
  state.sampledPairs += maxPairs
  state.distanceSum += sum
}

/**
 * Diversity of patterns within each recorded batch: the Hamming distance (popcount of
 * XOR) between the patterns of different rows, as a mean normalised by `units` and as a
 * histogram. Exact up to `maxPairs` pairs per batch, sampled above.
 *
 * @example
 * ```ts
 * const probe = instrument(model, { reducers: { diversity: hamming() } })
 * const r = await probe.measure(xs, { batchSize: 256 })
 * for (const [id, s] of Object.entries(r)) console.log(id, s.diversity.meanDistance)
 * ```
 */
export function hamming(options: HammingOptions = {}): Reducer<HammingState, HammingResult> {
  const { pairs: mode, maxPairs, seed } = OPTIONS.parse(options)
  return {
    name: 'hamming',
    spec: { module: 'relu-patterns', factory: 'hamming', options: structuredClone(options ?? {}) },
    init: (layout) => ({
      units: layout.units,
      wordsPerRow: layout.wordsPerRow,
      rows: 0,
      batches: 0,
      pairs: 0,
      sampledPairs: 0,
      distanceSum: 0,
      histogram: new Float64Array(layout.units + 1),
    }),
    update(state, batch) {
      checkShape(state)
      assertSameLayout(state, batch, 'update hamming')
      addPairs(state, batch, mode, maxPairs, seed)
      state.rows += batch.rows
      state.batches++
      return state
    },
    merge(a, b) {
      checkState(a)
      checkState(b)
      assertSameLayout(a, b, 'merge hamming states')
      const histogram = a.histogram.slice()
      for (let d = 0; d < histogram.length; d++) histogram[d] = histogram[d]! + b.histogram[d]!
      return {
        units: a.units,
        wordsPerRow: a.wordsPerRow,
        rows: a.rows + b.rows,
        batches: a.batches + b.batches,
        pairs: a.pairs + b.pairs,
        sampledPairs: a.sampledPairs + b.sampledPairs,
        distanceSum: a.distanceSum + b.distanceSum,
        histogram,
      }
    },
    result: (s) => {
      checkState(s)
      return {
        kind: 'hamming',
        rows: s.rows,
        units: s.units,
        batches: s.batches,
        pairs: s.pairs,
        meanDistance: s.pairs > 0 && s.units > 0 ? s.distanceSum / (s.pairs * s.units) : 0,
        histogram: s.histogram.slice(),
        exact: s.sampledPairs === 0,
        sampledPairs: s.sampledPairs,
      }
    },
  }
}

/** O(1) checks, enough for `update` to be safe. */
function checkShape(state: HammingState): void {
  checkLayout(state, 'hamming')
  onlyKnownFields(state, ['units', 'wordsPerRow', 'rows', 'batches', 'pairs', 'sampledPairs', 'distanceSum', 'histogram'], 'hamming')
  for (const key of ['rows', 'batches', 'pairs', 'sampledPairs', 'distanceSum'] as const) {
    if (!isCount(state[key])) throw corruptState('hamming', `${key} is ${String(state[key])}`)
  }
  // pairs are compared within batches: never more than all pairs of the rows (a batch may be empty, so batches bound nothing)
  if (state.pairs > (state.rows * (state.rows - 1)) / 2) throw corruptState('hamming', `${state.pairs} pairs from ${state.rows} rows`)
  if (!(state.histogram instanceof Float64Array) || state.histogram.length !== state.units + 1) {
    throw corruptState('hamming', 'the histogram does not have units + 1 entries')
  }
}

/** O(units) checks: the histogram adds up to the pairs and their distances. */
function checkState(state: HammingState): void {
  checkShape(state)
  let pairs = 0
  let sum = 0
  state.histogram.forEach((c, d) => {
    if (!isCount(c)) throw corruptState('hamming', `histogram[${d}] is ${c}`)
    pairs += c
    sum += c * d
  })
  if (pairs !== state.pairs || sum !== state.distanceSum || state.sampledPairs > state.pairs) {
    throw corruptState('hamming', 'the histogram does not add up to pairs and distanceSum')
  }
}
