/* A reducer over the last k batches only: a sliding window of states. */
import { InstrumentError } from '../errors.js'
import { type Declaration, declareOptions, integer } from '../options.js'
import { type Layout, type Reducer, assertReducer, assertSameLayout, checkLayout, corruptState } from '../reducer.js'

const OPTIONS = /* @__PURE__ */ declareOptions(
  'windowed(reducer, options)',
  () => ({ batches: { check: integer(1) } }) satisfies Declaration<{ batches: number }>,
  { required: true },
)

/** State of a windowed reducer: a ring of per-batch states. */
export interface WindowState<S> extends Layout {
  /** One inner state per recent batch; `slots[next]` is replaced next. */
  slots: S[]
  /** Index of the slot the next batch goes to. */
  next: number
}

/**
 * A reducer over the last `batches` recorded batches only: each batch goes into its own
 * slot of a ring, and the result merges the slots. Use it to follow a metric over the
 * recent training stream instead of everything since the last reset.
 *
 * `merge` combines two windows slot by slot, which is right for streams recorded in step
 * (the same schedule in several workers).
 *
 * @example
 * ```ts
 * const probe = instrument(model, { passes: 'training', reducers: { recent: windowed(patternHistogram(), { batches: 20 }) } })
 * // after each epoch: entropy over the last 20 training batches
 * probe.results()[id]!.recent.normalizedEntropy
 * ```
 */
export function windowed<S, R>(reducer: Reducer<S, R>, options: { batches: number }): Reducer<WindowState<S>, R> {
  assertReducer('windowed(reducer)', reducer)
  const { batches: size } = OPTIONS.parse(options)
  if (size === undefined)
    throw new InstrumentError('INVALID_OPTION', 'windowed(reducer, options): batches is required, a positive integer.')
  const combined = (state: WindowState<S>): S => state.slots.reduce((acc, s) => reducer.merge(acc, s), reducer.init(state))
  return {
    name: `windowed(${reducer.name})`,
    ...(reducer.needs === undefined ? {} : { needs: reducer.needs }),
    init: (layout) => ({ units: layout.units, wordsPerRow: layout.wordsPerRow, slots: [], next: 0 }),
    update(state, batch) {
      checkWindow(state, size)
      state.slots[state.next] = reducer.update(reducer.init(state), batch)
      state.next = (state.next + 1) % size
      return state
    },
    merge(a, b) {
      checkWindow(a, size)
      checkWindow(b, size)
      assertSameLayout(a, b, 'merge windowed states')
      const n = Math.max(a.slots.length, b.slots.length)
      const slots: S[] = []
      for (let i = 0; i < n; i++) {
        const sa = a.slots[i]
        const sb = b.slots[i]
        slots.push(sa !== undefined && sb !== undefined ? reducer.merge(sa, sb) : reducer.merge(reducer.init(a), (sa ?? sb)!))
      }
      return { units: a.units, wordsPerRow: a.wordsPerRow, slots, next: Math.max(a.next, b.next) }
    },
    result: (state) => {
      checkWindow(state, size)
      return reducer.result(combined(state))
    },
  }
}

function checkWindow(state: WindowState<unknown>, size: number): void {
  checkLayout(state, 'windowed')
  const { slots, next } = state
  if (
    !Array.isArray(slots) ||
    slots.length > size ||
    !Number.isInteger(next) ||
    next < 0 ||
    next >= size ||
    slots.some((s) => s === undefined)
  ) {
    throw corruptState('windowed', `${Array.isArray(slots) ? slots.length : 'no'} slots, next ${String(next)}, in a window of ${size}`)
  }
}
