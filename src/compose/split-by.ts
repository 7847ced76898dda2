/* A reducer run once per group of rows (by label or by any key of a row). */
import { InstrumentError } from '../errors.js'
import { getOwn, putOwn } from '../keys.js'
import { type Layout, type PackedBatch, type Reducer, assertReducer, assertSameLayout, checkLayout, corruptState } from '../reducer.js'

/** State of a split reducer: one state of the inner reducer per group. */
export interface SplitState<S> extends Layout {
  /**
   * Inner states by group key (`String(key)`, or `'unlabeled'` for rows without a label).
   * Keys are own properties; any string, `__proto__` included, is a group like any other.
   */
  groups: Record<string, S>
}

/** Chooses a numeric group for one row of a batch. */
export type RowKey = (batch: PackedBatch, row: number) => number

/** Copies the chosen rows of a batch into a batch of their own. */
function gather(batch: PackedBatch, rows: number[], keepPositions: boolean): PackedBatch {
  const wpr = batch.wordsPerRow
  const words = new Uint32Array(rows.length * wpr)
  const labels = batch.labels === null ? null : new Int32Array(rows.length)
  const u = batch.units
  const values = batch.values === undefined ? undefined : new Float32Array(rows.length * u)
  rows.forEach((r, i) => {
    words.set(batch.words.subarray(r * wpr, (r + 1) * wpr), i * wpr)
    if (labels !== null) labels[i] = batch.labels![r]!
    values?.set(batch.values!.subarray(r * u, (r + 1) * u), i * u)
  })
  const out = { ...batch, words, rows: rows.length, labels, positions: keepPositions ? batch.positions : 1, nonFinite: 0 }
  return values === undefined ? out : { ...out, values }
}

/**
 * Runs a reducer separately for each group of rows: by label (`'label'`, with
 * `measure(x, { labels })`; whole examples stay together) or by a key you compute per row.
 * The result maps each group to the inner reducer's result.
 *
 * @example
 * ```ts
 * const probe = instrument(model, { reducers: { perClass: splitBy(patternHistogram(), 'label') } })
 * const r = await probe.measure(xs, { labels })
 * r[id]!.perClass['3']!.distinct // distinct patterns of the digit 3
 * ```
 */
export function splitBy<S, R>(reducer: Reducer<S, R>, key: 'label' | RowKey): Reducer<SplitState<S>, Record<string, R>> {
  assertReducer('splitBy(reducer)', reducer)
  if (key !== 'label' && typeof key !== 'function') {
    throw new InstrumentError('INVALID_OPTION', "splitBy(reducer, key): key must be 'label' or a function (batch, row) => number.")
  }
  const byLabel = key === 'label'
  return {
    name: `splitBy(${reducer.name})`,
    ...(reducer.needs === undefined ? {} : { needs: reducer.needs }),
    init: (layout) => ({ units: layout.units, wordsPerRow: layout.wordsPerRow, groups: {} }),
    update(state, batch) {
      checkSplit(state)
      const rowsOf = new Map<string, number[]>()
      for (let r = 0; r < batch.rows; r++) {
        const k = byLabel ? (batch.labels === null ? 'unlabeled' : String(batch.labels[r])) : String(key(batch, r))
        let list = rowsOf.get(k)
        if (list === undefined) {
          list = []
          rowsOf.set(k, list)
        }
        list.push(r)
      }
      for (const [k, rows] of rowsOf) {
        const inner = getOwn(state.groups, k) ?? reducer.init(state)
        putOwn(state.groups, k, reducer.update(inner, gather(batch, rows, byLabel)))
      }
      return state
    },
    merge(a, b) {
      checkSplit(a)
      checkSplit(b)
      assertSameLayout(a, b, 'merge splitBy states')
      const groups: Record<string, S> = {}
      for (const k of new Set([...Object.keys(a.groups), ...Object.keys(b.groups)])) {
        const ga = getOwn(a.groups, k)
        const gb = getOwn(b.groups, k)
        putOwn(groups, k, ga !== undefined && gb !== undefined ? reducer.merge(ga, gb) : reducer.merge(reducer.init(a), (ga ?? gb)!))
      }
      return { units: a.units, wordsPerRow: a.wordsPerRow, groups }
    },
    result(state) {
      checkSplit(state)
      const out: Record<string, R> = {}
      for (const k of Object.keys(state.groups).sort()) putOwn(out, k, reducer.result(getOwn(state.groups, k)!))
      return out
    },
  }
}

function checkSplit(state: SplitState<unknown>): void {
  checkLayout(state, 'splitBy')
  const g = state.groups as unknown
  if (typeof g !== 'object' || g === null || Array.isArray(g)) throw corruptState('splitBy', 'groups is not a record')
}
