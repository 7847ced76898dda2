/* The unitStats reducer: how often each unit is on, its entropy, dead and always-on units. */
import { addColumnCounts } from '../bits/column-counts.js'
import { type Declaration, declareOptions } from '../options.js'
import { type Layout, type Reducer, assertSameLayout, checkLayout, corruptState, isCount, onlyKnownFields } from '../reducer.js'

/** unitStats takes no options; an options object, if given, must be empty. */
const OPTIONS = /* @__PURE__ */ declareOptions('unitStats(options)', () => ({}) satisfies Declaration<Record<string, never>>)

/** State of {@link unitStats}: how often each unit was on. */
export interface UnitStatsState extends Layout {
  /** Patterns seen. */
  rows: number
  /** Non-finite activations seen. */
  nonFinite: number
  /** Per unit, the number of patterns in which it was on. */
  on: Float64Array
}

/** Result of {@link unitStats}. */
export interface UnitStatsResult {
  /** What made this result (`result.kind`), so that it is found whatever the reducer is named. */
  kind: 'unitStats'
  /** Patterns seen. */
  rows: number
  /** Units per pattern. */
  units: number
  /** Per unit, fraction of patterns in which it was on (0 when no rows). */
  frequency: Float64Array
  /** Per unit, binary entropy of its on/off state in bits (0 when no rows). */
  entropy: Float64Array
  /** Mean of `entropy` over units. */
  meanEntropy: number
  /** Units never on (0 when no rows). */
  dead: number
  /** Units on in every pattern (0 when no rows). */
  alwaysOn: number
  /** Non-finite activations seen (NaN counted off, +Infinity on). */
  nonFinite: number
}

/**
 * Binary entropy in bits of a unit that is on with probability `p` (0 at p = 0 or 1).
 *
 * @example
 * ```ts
 * binaryEntropy(0.5) // 1
 * ```
 */
export function binaryEntropy(p: number): number {
  if (p <= 0 || p >= 1) return 0
  return -(p * Math.log2(p) + (1 - p) * Math.log2(1 - p))
}

/**
 * Per-unit statistics: how often each unit is on, its binary entropy, dead and
 * always-on units. State is O(units).
 *
 * @example
 * ```ts
 * const probe = instrument(model, { reducers: { units: unitStats() } })
 * await model.fit(xs, ys, { epochs: 1 })
 * for (const [id, r] of Object.entries(probe.results())) {
 *   console.log(id, 'dead units:', r.units.dead, 'mean entropy:', r.units.meanEntropy)
 * }
 * ```
 */
export function unitStats(options?: Record<string, never>): Reducer<UnitStatsState, UnitStatsResult> {
  OPTIONS.parse(options)
  return {
    name: 'unitStats',
    spec: { module: 'relu-patterns', factory: 'unitStats', options: structuredClone(options ?? {}) },
    init: (layout) => ({
      units: layout.units,
      wordsPerRow: layout.wordsPerRow,
      rows: 0,
      nonFinite: 0,
      on: new Float64Array(layout.units),
    }),
    update(state, batch) {
      checkShape(state)
      assertSameLayout(state, batch, 'update unitStats')
      addColumnCounts(state.on, batch.words, batch.rows, batch.wordsPerRow, batch.units)
      state.rows += batch.rows
      state.nonFinite += batch.nonFinite
      return state
    },
    merge(a, b) {
      checkState(a)
      checkState(b)
      assertSameLayout(a, b, 'merge unitStats states')
      const on = a.on.slice()
      for (let i = 0; i < on.length; i++) on[i] = on[i]! + b.on[i]!
      return {
        units: a.units,
        wordsPerRow: a.wordsPerRow,
        rows: a.rows + b.rows,
        nonFinite: a.nonFinite + b.nonFinite,
        on,
      }
    },
    result(state) {
      checkState(state)
      const { units, rows } = state
      const frequency = new Float64Array(units)
      const entropy = new Float64Array(units)
      let sum = 0
      let dead = 0
      let alwaysOn = 0
      if (rows > 0) {
        for (let u = 0; u < units; u++) {
          const c = state.on[u]!
          const p = c / rows
          frequency[u] = p
          entropy[u] = binaryEntropy(p)
          sum += entropy[u]!
          if (c === 0) dead++
          else if (c === rows) alwaysOn++
        }
      }
      return {
        kind: 'unitStats',
        rows,
        units,
        frequency,
        entropy,
        meanEntropy: units > 0 ? sum / units : 0,
        dead,
        alwaysOn,
        nonFinite: state.nonFinite,
      }
    },
  }
}

/** O(1) checks, enough for `update` to be safe. */
function checkShape(state: UnitStatsState): void {
  checkLayout(state, 'unitStats')
  onlyKnownFields(state, ['units', 'wordsPerRow', 'rows', 'nonFinite', 'on'], 'unitStats')
  if (!isCount(state.rows) || !isCount(state.nonFinite)) throw corruptState('unitStats', 'rows or nonFinite is not a count')
  // every row has `units` values, each finite or not
  if (state.nonFinite > state.rows * state.units)
    throw corruptState('unitStats', `${state.nonFinite} non-finite values in ${state.rows} rows of ${state.units} units`)
  if (!(state.on instanceof Float64Array) || state.on.length !== state.units)
    throw corruptState('unitStats', 'on does not have one count per unit')
}

/** O(units) checks: every count of a unit lies between 0 and rows. */
function checkState(state: UnitStatsState): void {
  checkShape(state)
  for (let u = 0; u < state.units; u++) {
    const c = state.on[u]!
    if (!isCount(c) || c > state.rows) throw corruptState('unitStats', `unit ${u} was on ${c} times in ${state.rows} rows`)
  }
}
