/* Monitors attached to a model: one wrapper of predict that checks every call for all of them. */
import type { Tensor } from '@tensorflow/tfjs-core'
import type { RetainedPatterns } from '../compare/measurement.js'
import { InstrumentError, reportUncaught } from '../errors.js'
import { instrument, predictedClasses, type Probe } from '../instrument/index.js'
import type { ReducerMap } from '../reducer.js'
import { type MonitorModel, probeCovering } from './probes.js'

/** The model's `predict`, as the wrapper calls it. */
type Predict = (x: Tensor | Tensor[], config?: object) => unknown

/** One attached monitor: its sites, how it checks, and whom it tells. */
export interface Listener {
  readonly ids: readonly string[]
  /** The index of the output that gives the class, and the number of classes it must have. */
  readonly output: number
  readonly classes: number
  check(patterns: Record<string, RetainedPatterns>, classes: Int32Array): unknown
  onVerdict(checks: never): void
}

/** What is attached to one model: one wrapper of `predict` for all its monitors. */
interface Attached {
  probe: Probe<ReducerMap>
  /** True when the probe was made for the monitors (and is disposed with the last one). */
  owned: boolean
  hadOwn: boolean
  original: Predict
  readonly listeners: Set<Listener>
  /** Checks whose patterns are still being read: the probe lives until they are told. */
  readonly inflight: Set<Promise<void>>
  /** True once the last monitor left; the state goes when the checks in flight are told. */
  closing: boolean
}

const attached = new WeakMap<MonitorModel, Attached>()

/** A probe recording every listener's sites: the model's own, or one made (again) for the union. */
function ensureProbe(
  model: MonitorModel,
  state: Attached | undefined,
  ids: readonly string[],
): { probe: Probe<ReducerMap>; owned: boolean } {
  const wanted = [...new Set([...(state === undefined ? [] : [...state.listeners].flatMap((l) => l.ids)), ...ids])]
  if (state?.owned) {
    if (ids.every((id) => state.probe.sites.some((s) => s.id === id))) return state
    state.probe.dispose()
    return { probe: instrument(model, { reducers: {}, sites: wanted }), owned: true }
  }
  const user = probeCovering(model, wanted)
  return user !== undefined ? { probe: user, owned: false } : { probe: instrument(model, { reducers: {}, sites: wanted }), owned: true }
}

/** `predict`, checked: the call runs as a pass of its own, every attached monitor is told. */
function wrapper(model: MonitorModel, original: Predict): Predict {
  return (x: Tensor | Tensor[], config?: object) => {
    const state = attached.get(model)
    // a wrapper kept by the program after the last monitor left: the model's own predict
    if (state === undefined || state.closing) return original.call(model, x, config as never)
    let captured: ReturnType<Probe<ReducerMap>['capture']> | undefined
    try {
      captured = state.probe.capture(() => original.call(model, x, config as never))
    } catch (error) {
      // the user disposed the probe the monitors were using: predict still works
      if (!(error instanceof InstrumentError && error.code === 'DISPOSED')) throw error
      reportUncaught(error)
      return original.call(model, x, config as never)
    }
    const { value, patterns } = captured
    // each monitor's classes from its own output, read once per output
    const read = new Map<number, { classes: Int32Array; width: number }>()
    const classes = new Map<Listener, Int32Array>()
    for (const l of state.listeners) {
      try {
        if (!read.has(l.output)) read.set(l.output, predictedClasses(value, l.output))
        const { width, classes: c } = read.get(l.output)!
        if (width !== l.classes)
          throw new InstrumentError('MODEL_MISMATCH', `The model's output ${l.output} has ${width} classes; the monitor has ${l.classes}.`)
        classes.set(l, c)
      } catch (error) {
        reportUncaught(error)
      }
    }
    const listeners = [...classes.keys()]
    const told: Promise<void> = patterns
      .then((p) => {
        if (p === null) return // a call the library made inside its own measurement, not the application's
        for (const l of listeners) {
          try {
            l.onVerdict(l.check(p, classes.get(l)!) as never)
          } catch (error) {
            reportUncaught(error)
          }
        }
      })
      .catch(reportUncaught)
      .finally(() => {
        state.inflight.delete(told)
        if (state.closing && state.inflight.size === 0) close(model, state)
      })
    state.inflight.add(told)
    return value
  }
}

/** Forgets what was attached to the model, and disposes a probe made for the monitors. */
function close(model: MonitorModel, state: Attached): void {
  if (attached.get(model) !== state) return
  if (state.owned) state.probe.dispose()
  attached.delete(model)
}

/**
 * Attaches a monitor to the model's `predict`. Several monitors share one wrapper and one
 * pass; the undo (idempotent) removes this monitor, and the last one restores `predict`
 * exactly and disposes a probe made for them once the checks of calls made before it are
 * told (an undo right after `predict` still gets that call's verdict).
 */
export function attachMonitor(model: MonitorModel, listener: Listener): () => void {
  const m = model as { predict: Predict }
  let state = attached.get(model)
  const { probe, owned } = ensureProbe(model, state, listener.ids)
  if (state === undefined) {
    const hadOwn = Object.hasOwn(model, 'predict')
    state = { probe, owned, hadOwn, original: m.predict, listeners: new Set(), inflight: new Set(), closing: false }
    attached.set(model, state)
    m.predict = wrapper(model, state.original)
  } else {
    // a monitor attached while the last one's checks are still being told: the state goes
    // on, wrapping predict as it is now (the program may have replaced it meanwhile)
    if (state.closing) {
      state.hadOwn = Object.hasOwn(model, 'predict')
      state.original = m.predict
      m.predict = wrapper(model, state.original)
    }
    state.closing = false
    state.probe = probe
    state.owned = owned
  }
  const current = state
  current.listeners.add(listener)
  let done = false
  return () => {
    if (done) return
    done = true
    current.listeners.delete(listener)
    if (current.listeners.size > 0) return
    if (current.hadOwn) m.predict = current.original
    else delete (m as Partial<typeof m>).predict
    // predict is the model's own again at once; checks of calls made before are still told
    current.closing = true
    if (current.inflight.size === 0) close(model, current)
  }
}
