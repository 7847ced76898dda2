import type { Layout, Reducer, ReducerMap, SiteResults, StateOf } from '../reducer.js'

/** State of a derived reducer: the states of its parts, keyed like them. */
export type DerivedState<M extends ReducerMap> = { [K in keyof M]: StateOf<M[K]> }

/**
 * A reducer whose result is computed from the results of other reducers, which all see
 * the same batches: patterns are read once, however many metrics are derived from them.
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
  const keys = Object.keys(parts) as (keyof M & string)[]
  const each = <T>(f: (k: keyof M & string) => T): Record<string, T> => {
    const out: Record<string, T> = {}
    for (const k of keys) out[k] = f(k)
    return out
  }
  return {
    name,
    init: (layout: Layout) => each((k) => parts[k]!.init(layout)) as DerivedState<M>,
    update: (state, batch) => each((k) => parts[k]!.update(state[k], batch)) as DerivedState<M>,
    merge: (a, b) => each((k) => parts[k]!.merge(a[k], b[k])) as DerivedState<M>,
    result: (state) => fn(each((k) => parts[k]!.result(state[k])) as SiteResults<M>),
  }
}
