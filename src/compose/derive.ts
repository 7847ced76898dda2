/* A reducer whose result is computed from the results of other reducers run alongside it. */
import { InstrumentError } from '../errors.js'
import { getOwn, putOwn } from '../keys.js'
import { type Layout, type Reducer, type ReducerMap, type SiteResults, type StateOf, assertReducer } from '../reducer.js'

/** State of a derived reducer: the states of its parts, keyed like them. */
export type DerivedState<M extends ReducerMap> = { [K in keyof M]: StateOf<M[K]> }

/**
 * A reducer whose result is computed from the results of other reducers, which all see
 * the same batches: patterns are read once, however many metrics are derived from them.
 * If `fn` throws, `result` throws `REDUCER_FAILED` with `reducer` set to `name` and the
 * thrown value as `cause`.
 *
 * @example
 * ```ts
 * // share of units that are alive, times normalised pattern entropy
 * const liveEntropy = derive(
 *   { u: unitStats(), h: patternHistogram() },
 *   (r) => (1 - r.u.dead / r.u.units) * r.h.normalizedEntropy,
 * )
 * const probe = instrument(model, { reducers: { liveEntropy } })
 * probe.results()[id]!.liveEntropy // number
 * ```
 */
export function derive<M extends ReducerMap, R>(
  parts: M,
  fn: (results: SiteResults<M>) => R,
  name = 'derive',
): Reducer<DerivedState<M>, R> {
  if (typeof parts !== 'object' || parts === null || Object.getPrototypeOf(parts) !== Object.prototype) {
    throw new InstrumentError(
      'INVALID_OPTION',
      'derive(parts, fn) takes a plain record of named reducers as parts, e.g. { u: unitStats() }.',
    )
  }
  for (const [key, r] of Object.entries(parts)) assertReducer(key, r)
  if (typeof fn !== 'function')
    throw new InstrumentError('INVALID_OPTION', "derive(parts, fn): fn must be a function of the parts' results.")
  if (typeof name !== 'string') throw new InstrumentError('INVALID_OPTION', 'derive(parts, fn, name): name must be a string.')
  const keys = Object.keys(parts)
  const each = <T>(f: (r: ReducerMap[string], k: string) => T): Record<string, T> => {
    const out: Record<string, T> = {}
    for (const k of keys) putOwn(out, k, f(parts[k]!, k))
    return out
  }
  const part = (state: DerivedState<M>, k: string): unknown => getOwn(state as Record<string, unknown>, k)
  const needs = keys.some((k) => parts[k]!.needs === 'values')
  return {
    name,
    ...(needs ? { needs: 'values' as const } : {}),
    init: (layout: Layout) => each((r) => r.init(layout)) as DerivedState<M>,
    update: (state, batch) => each((r, k) => r.update(part(state, k), batch)) as DerivedState<M>,
    merge: (a, b) => each((r, k) => r.merge(part(a, k), part(b, k))) as DerivedState<M>,
    result: (state) => {
      const results = each((r, k) => r.result(part(state, k))) as SiteResults<M>
      try {
        return fn(results)
      } catch (error) {
        throw new InstrumentError('REDUCER_FAILED', `derive "${name}": the function threw: ${String(error)}. Fix the function.`, {
          cause: error,
          reducer: name,
        })
      }
    },
  }
}
