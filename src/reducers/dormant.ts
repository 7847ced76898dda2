/* The dormant reducer: tau-dormant units by mean absolute activation (Sokar et al., 2023). */
import { InstrumentError } from '../errors.js'
import { type Declaration, declareOptions, number } from '../options.js'
import { type Layout, type PackedBatch, type Reducer, assertSameLayout, checkLayout, corruptState, isCount } from '../reducer.js'

const OPTIONS = /* @__PURE__ */ declareOptions(
  'dormant(options)',
  () => ({ tau: { check: number(0), default: 0.1 } }) satisfies Declaration<DormantOptions>,
)

/** State of {@link dormant}: per unit, the sum of absolute activations. */
export interface DormantState extends Layout {
  /** Patterns (rows) seen. */
  rows: number
  /** Per unit, the sum of |activation| over rows (non-finite values left out). */
  sums: Float64Array
  /** Per unit, the rows where its value was ±Infinity. */
  infinite: Float64Array
  /** Non-finite activations (NaN or ±Infinity) left out of the sums. */
  nonFinite: number
}

/** Result of {@link dormant}. */
export interface DormantResult {
  /** What made this result (`result.kind`), so that it is found whatever the reducer is named. */
  kind: 'dormant'
  rows: number
  units: number
  tau: number
  /** Per unit, mean |activation| over rows; Infinity for a unit that reached ±Infinity. */
  meanAbs: Float64Array
  /**
   * Per unit, ReDo's score: its mean |activation| over the mean of all finite units'
   * (0 where that mean is 0); Infinity for a unit that reached ±Infinity.
   */
  scores: Float64Array
  /** Per unit, 1 where the score is at most tau. */
  dormantUnits: Uint8Array
  /** Units with score at most tau (0 when no rows). */
  dormant: number
  /** dormant / units. */
  dormantShare: number
  /** Units whose activation was exactly 0 (or NaN) on every row: dead, never on. */
  dead: number
  nonFinite: number
}

/** Options of {@link dormant}. */
export interface DormantOptions {
  /** A unit is tau-dormant when its score is at most tau (default 0.1). */
  tau?: number
}

/** Throws unless the batch carries the float values a value reducer needs. */
export function valuesOf(batch: PackedBatch, reducer: string): Float32Array {
  const values = batch.values
  if (!(values instanceof Float32Array) || values.length !== batch.rows * batch.units) {
    throw new InstrumentError(
      'INVALID_INPUT',
      `${reducer}() needs the activation values (batch.values, ${batch.rows * batch.units} floats). A probe hands them to ` +
        `reducers that declare needs: 'values', as ${reducer}() does; a batch built by hand must include them.`,
    )
  }
  return values
}

/**
 * ReDo's tau-dormant units (Sokar et al., 2023): a unit's mean absolute activation over
 * the mean of its layer's, at or below `tau`. Needs the activation values, which the
 * probe then reads with the bits (`needs: 'values'`). Conv sites average over examples
 * and positions together, as ReDo does. State is O(units).
 *
 * @example
 * ```ts
 * const probe = instrument(model, { reducers: { dormant: dormant({ tau: 0.1 }) } })
 * const r = await probe.measure(xs)
 * console.log(r[probe.sites[0]!.id]!.dormant.dormantShare)
 * ```
 */
export function dormant(options?: DormantOptions): Reducer<DormantState, DormantResult> {
  const { tau } = OPTIONS.parse(options)
  return {
    name: 'dormant',
    spec: { module: 'relu-patterns', factory: 'dormant', options: structuredClone(options ?? {}) },
    needs: 'values',
    init: (layout) => ({
      units: layout.units,
      wordsPerRow: layout.wordsPerRow,
      rows: 0,
      sums: new Float64Array(layout.units),
      infinite: new Float64Array(layout.units),
      nonFinite: 0,
    }),
    update(state, batch) {
      checkShape(state)
      assertSameLayout(state, batch, 'update dormant')
      const values = valuesOf(batch, 'dormant')
      const { units } = state
      const { sums, infinite } = state
      let skipped = 0
      for (let r = 0, i = 0; r < batch.rows; r++) {
        for (let u = 0; u < units; u++, i++) {
          const v = values[i]!
          if (Number.isFinite(v)) sums[u] = sums[u]! + Math.abs(v)
          else {
            skipped++
            if (!Number.isNaN(v)) infinite[u] = infinite[u]! + 1
          }
        }
      }
      state.rows += batch.rows
      state.nonFinite += skipped
      return state
    },
    merge(a, b) {
      checkState(a)
      checkState(b)
      assertSameLayout(a, b, 'merge dormant states')
      const sums = a.sums.map((s, u) => s + b.sums[u]!)
      const infinite = a.infinite.map((s, u) => s + b.infinite[u]!)
      return { units: a.units, wordsPerRow: a.wordsPerRow, rows: a.rows + b.rows, sums, infinite, nonFinite: a.nonFinite + b.nonFinite }
    },
    result(state) {
      checkState(state)
      const { units, rows } = state
      const meanAbs = new Float64Array(units)
      const scores = new Float64Array(units)
      const dormantUnits = new Uint8Array(units)
      let count = 0
      let dead = 0
      if (rows > 0) {
        let total = 0
        let finite = 0
        for (let u = 0; u < units; u++) {
          if (state.infinite[u]! > 0) meanAbs[u] = Number.POSITIVE_INFINITY
          else {
            meanAbs[u] = state.sums[u]! / rows
            total += meanAbs[u]!
            finite++
          }
        }
        const layerMean = finite === 0 ? 0 : total / finite
        for (let u = 0; u < units; u++) {
          scores[u] = state.infinite[u]! > 0 ? Number.POSITIVE_INFINITY : layerMean === 0 ? 0 : meanAbs[u]! / layerMean
          if (scores[u]! <= tau) {
            dormantUnits[u] = 1
            count++
          }
          if (state.sums[u] === 0 && state.infinite[u] === 0) dead++
        }
      }
      return {
        kind: 'dormant',
        rows,
        units,
        tau,
        meanAbs,
        scores,
        dormantUnits,
        dormant: count,
        dormantShare: count / units,
        dead,
        nonFinite: state.nonFinite,
      }
    },
  }
}

function checkShape(state: DormantState): void {
  checkLayout(state, 'dormant')
  if (!isCount(state.rows) || !isCount(state.nonFinite)) throw corruptState('dormant', 'rows or nonFinite is not a count')
  for (const a of [state.sums, state.infinite]) {
    if (!(a instanceof Float64Array) || a.length !== state.units)
      throw corruptState('dormant', 'sums or infinite does not have one entry per unit')
  }
}

function checkState(state: DormantState): void {
  checkShape(state)
  for (let u = 0; u < state.units; u++) {
    const s = state.sums[u]!
    const inf = state.infinite[u]!
    if (!(s >= 0) || !Number.isFinite(s) || (state.rows === 0 && s !== 0))
      throw corruptState('dormant', `unit ${u} has sum ${s} over ${state.rows} rows`)
    if (!isCount(inf) || inf > state.rows) throw corruptState('dormant', `unit ${u} was infinite ${inf} times in ${state.rows} rows`)
  }
  if (state.nonFinite > state.rows * state.units) throw corruptState('dormant', 'more non-finite values than values')
}
