/* The reducer contract: layouts, packed batches, reducers, their specs, and the checks every reducer shares. */
import { wordsFor } from './bits/pack.js'
import { InstrumentError } from './errors.js'

/**
 * Shape of the patterns a reducer will see at one site.
 * Bit `j` of word `w` of a row is unit `32 * w + j`; padding bits above `units` are zero.
 */
export interface Layout {
  /** Bits per pattern. */
  readonly units: number
  /** `Math.ceil(units / 32)`: words per pattern row. */
  readonly wordsPerRow: number
}

/**
 * One recorded batch of patterns, as reducers see it: plain words, never a tensor.
 *
 * Row `r` occupies `words[r * wordsPerRow, (r + 1) * wordsPerRow)`. The arrays are reused
 * by the recorder after `update` returns: copy what you keep.
 */
export interface PackedBatch extends Layout {
  /** Packed patterns, `rows * wordsPerRow` words. */
  readonly words: Uint32Array
  /** Number of patterns in this batch. */
  readonly rows: number
  /** Activations that were NaN or +-Infinity in this batch (NaN counts as off, +Infinity as on). */
  readonly nonFinite: number
  /** Patterns per example: rows `e * positions` to `(e + 1) * positions - 1` come from example `e` of the batch. */
  readonly positions: number
  /** One integer label per row (the example's label, repeated per position), when the pass was given labels. */
  readonly labels: Int32Array | null
  /**
   * The float activations behind the bits, `rows * units` values in the same order (row
   * by row, unit by unit), given only to probes with a reducer that declares
   * `needs: 'values'`. Reused like `words`.
   */
  readonly values?: Float32Array
}

/**
 * How to make a reducer again in another realm (a worker thread): the export `factory`
 * of `module`, called with `options`. Built-in reducers carry one; a custom reducer
 * needs one to run in `measureInWorkers` (its module must be importable by URL or
 * package name from the worker, and `options` plain data).
 */
export interface ReducerSpec {
  readonly module: string
  readonly factory: string
  readonly options: unknown
}

/**
 * The reducer contract. A reducer is a stateless object; all state is passed in and out,
 * so states can be kept per site, reset, merged across workers and serialised.
 *
 * - `init(layout)` returns an empty state for patterns of that layout.
 * - `update(state, batch)` folds a batch in and returns the state (it may mutate and
 *   return `state` itself, but must not keep `batch.words`).
 * - `merge(a, b)` returns the state of both streams; it must be associative and
 *   commutative and must not mutate `a` or `b`.
 * - `result(state)` returns plain data (numbers, typed arrays); an empty state gives a
 *   well-defined empty result, never NaN.
 *
 * @example
 * ```ts
 * import type { Reducer } from 'relu-patterns'
 * import { popcount32 } from 'relu-patterns'
 *
 * // Mean number of active units per pattern.
 * const activeUnits = (): Reducer<{ rows: number; on: number }, { rows: number; mean: number }> => ({
 *   name: 'activeUnits',
 *   init: () => ({ rows: 0, on: 0 }),
 *   update: (s, b) => {
 *     let on = 0
 *     for (let i = 0; i < b.words.length; i++) on += popcount32(b.words[i]!)
 *     return { rows: s.rows + b.rows, on: s.on + on }
 *   },
 *   merge: (a, b) => ({ rows: a.rows + b.rows, on: a.on + b.on }),
 *   result: (s) => ({ rows: s.rows, mean: s.rows === 0 ? 0 : s.on / s.rows }),
 * })
 * ```
 */

export interface Reducer<State, Result> {
  /** Short name used in errors and docs, e.g. `'unitStats'`. */
  readonly name: string
  /** How to make this reducer again elsewhere; see {@link ReducerSpec}. */
  readonly spec?: ReducerSpec
  /**
   * `'values'`: this reducer also needs the float activations (`batch.values`). They come
   * from the same read that packs the bits, which is then synchronous on every backend
   * (one read per site per pass); reducers that do not ask change nothing.
   */
  readonly needs?: 'values'
  /** Empty state for this layout. */
  init(layout: Layout): State
  /** Fold one batch into the state. */
  update(state: State, batch: PackedBatch): State
  /** Combine the states of two streams of the same layout. */
  merge(a: State, b: State): State
  /** Plain-data summary of a state. */
  result(state: State): Result
}

/** Any reducer, for constraints. */
// biome-ignore lint/suspicious/noExplicitAny: the one place a reducer of any state and result is named, for collections of reducers
export type AnyReducer = Reducer<any, any>

/** The state type of a reducer. */
export type StateOf<R> = R extends Reducer<infer S, unknown> ? S : never

/** The result type of a reducer. */
export type ResultOf<R> = R extends Reducer<unknown, infer T> ? T : never

/** A named record of reducers, as passed to `instrument`. */
export type ReducerMap = Record<string, AnyReducer>

/** Results of a record of reducers at one site, keyed like the record. */
export type SiteResults<M extends ReducerMap> = { [K in keyof M]: ResultOf<M[K]> }

/**
 * Layout for a number of units.
 *
 * @example
 * ```ts
 * const r = unitStats()
 * const state = r.init(layoutOf(35)) // { units: 35, wordsPerRow: 2, ... }
 * ```
 */
export function layoutOf(units: number): Layout {
  return { units, wordsPerRow: wordsFor(units) }
}

/** Throws `LAYOUT_MISMATCH` unless both layouts have the same number of units. */
export function assertSameLayout(a: Layout, b: Layout, what: string): void {
  if (a.units !== b.units) {
    throw new InstrumentError(
      'LAYOUT_MISMATCH',
      `Cannot ${what}: one has ${a.units} units per pattern, the other ${b.units}. ` +
        'Combine only states of the same site (same layer and granularity).',
    )
  }
}

/**
 * Throws `CORRUPT_DATA` for a reducer state that breaks an invariant (`what` says which):
 * built-in reducers check the states they are given, so a damaged or crafted state is an
 * error, never a wrong number or a hang.
 */
/** Throws `CORRUPT_DATA` when `state` has a field outside `known`: a state from outside carries only what its reducer writes. */
export function onlyKnownFields(state: object, known: readonly string[], reducer: string): void {
  for (const key of Object.keys(state)) if (!known.includes(key)) throw corruptState(reducer, `it has an unknown field "${key}"`)
}

export function corruptState(reducer: string, what: string): InstrumentError {
  return new InstrumentError(
    'CORRUPT_DATA',
    `${reducer}: the state is inconsistent (${what}); it is damaged or was not made by ${reducer}().`,
    { reducer },
  )
}

/** True for a non-negative integer, as counts are. */
export function isCount(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0
}

/** Throws `CORRUPT_DATA` unless `state` carries a valid layout (`units >= 1`, words per row by the layout rule). */
export function checkLayout(state: Layout, reducer: string): void {
  if (typeof state !== 'object' || state === null) throw corruptState(reducer, 'not an object')
  if (!isCount(state.units) || state.units < 1 || state.wordsPerRow !== wordsFor(state.units)) {
    throw corruptState(reducer, `units ${String(state.units)} with ${String(state.wordsPerRow)} words per row`)
  }
}

/** Throws `INVALID_REDUCER` unless `value` follows the reducer contract. */
export function assertReducer(key: string, value: unknown): asserts value is AnyReducer {
  const r = value as Partial<AnyReducer> | null
  const missing = ['init', 'update', 'merge', 'result'].filter((m) => typeof (r as Record<string, unknown> | null)?.[m] !== 'function')
  const needs = (r as { needs?: unknown } | null)?.needs
  if (r !== null && typeof r === 'object' && needs !== undefined && needs !== 'values') {
    throw new InstrumentError(
      'INVALID_REDUCER',
      `Reducer "${key}" declares needs: ${JSON.stringify(needs)}; the only need a reducer can declare is 'values'.`,
      { reducer: key },
    )
  }
  if (r === null || typeof r !== 'object' || missing.length > 0) {
    throw new InstrumentError(
      'INVALID_REDUCER',
      `Reducer "${key}" is not a reducer${missing.length > 0 ? ` (missing ${missing.join(', ')})` : ''}. ` +
        'Pass objects such as unitStats() or patternHistogram(): call the factory, do not pass it.',
      { reducer: key },
    )
  }
}
