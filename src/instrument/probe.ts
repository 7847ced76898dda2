import type { Tensor } from '@tensorflow/tfjs-core'
import type { LayersModel } from '@tensorflow/tfjs-layers'
import { InstrumentError } from '../errors.js'
import { Recorder } from '../record/recorder.js'
import {
  type Reducer,
  type ReducerMap,
  type SiteResults,
  type StateOf,
  assertReducer,
  layoutOf,
} from '../reducer.js'
import { type PatternHistogramResult, type PatternHistogramState, patternHistogram } from '../reducers/pattern-histogram.js'
import { type UnitStatsResult, type UnitStatsState, unitStats } from '../reducers/unit-stats.js'
import { type MeasureInput, type RunnableModel, runPass } from './measure.js'
import { type InstrumentOptions, type Passes, resolveOptions } from './options.js'
import { type FoundSite, type LayerLike, type Site, findSites } from './sites.js'
import { tapLayer } from './tap.js'

/** The reducers used when `instrument` is given none. */
export type DefaultReducers = {
  units: Reducer<UnitStatsState, UnitStatsResult>
  patterns: Reducer<PatternHistogramState, PatternHistogramResult>
}

/** Results of every site, keyed by site id. */
export type Results<M extends ReducerMap> = Record<string, SiteResults<M>>

/** Reducer states of every site, keyed by site id, for merging or saving. */
export type States<M extends ReducerMap> = Record<string, { [K in keyof M]: StateOf<M[K]> }>

/** What a site has seen since the last reset. */
export interface SiteCounters {
  /** Forward calls of the layer (each graph node counts). */
  calls: number
  /** Calls whose output was recorded (after the `passes` and `every` filters). */
  recorded: number
  /** Patterns recorded. */
  rows: number
  /** Non-finite activations seen (NaN counted off, +Infinity on). */
  nonFinite: number
}

/** Options of {@link Probe.measure}. */
export interface MeasureOptions {
  /** Examples per forward pass (default 128). Results do not depend on it. */
  batchSize?: number
  /** Run in training mode (dropout active, batch statistics used). Default false. */
  training?: boolean
}

/** A live instrumentation of one model; see {@link instrument}. */
export interface Probe<M extends ReducerMap> {
  /** The sites being recorded, in layer order. */
  readonly sites: readonly Site[]
  /** True once `dispose()` has run. */
  readonly disposed: boolean
  /** Results of what the taps accumulated since creation or the last `reset()`. */
  results(): Results<M>
  /** The reducer states behind `results()`, for `merge` or saving; do not mutate. */
  states(): States<M>
  /** Per-site counts of calls, recorded batches, rows and non-finite values. */
  counters(): Record<string, SiteCounters>
  /** Clears accumulated state, counters and a stored reducer failure. */
  reset(): void
  /**
   * One ordered forward pass over `x` into fresh state, in inference mode unless asked;
   * returns its results. The accumulated training state is left as it was.
   */
  measure(x: MeasureInput, options?: MeasureOptions): Promise<Results<M>>
  /** Removes every tap and restores the model exactly. Safe to call twice. */
  dispose(): void
}

const live = new WeakMap<object, true>()

interface SiteRuntime {
  readonly found: FoundSite
  readonly recorder: Recorder
  states: Record<string, unknown>
  counters: SiteCounters
}

function isLayersModel(x: unknown): x is LayersModel & LayerLike {
  const m = x as Partial<LayersModel> | null
  return (
    typeof m === 'object' &&
    m !== null &&
    Array.isArray(m.layers) &&
    typeof m.predict === 'function' &&
    typeof m.getLayer === 'function'
  )
}

/**
 * Taps every ReLU site of a tfjs-layers model so that the forward passes the program
 * already runs (`fit`, `fitDataset`, `predict`, `evaluate`, custom `minimize` loops)
 * record each unit's on/off state into the given reducers. No second forward pass, no
 * change to training results, no retained activations.
 *
 * @example
 * ```ts
 * import { instrument, unitStats, patternHistogram } from 'relu-patterns'
 *
 * const probe = instrument(model, { reducers: { units: unitStats(), patterns: patternHistogram() } })
 * await model.fit(xs, ys, { epochs: 2, batchSize: 64 })
 * for (const site of probe.sites) {
 *   const r = probe.results()[site.id]!
 *   console.log(site.id, r.units.dead, 'dead units,', r.patterns.distinct, 'distinct patterns')
 * }
 * probe.dispose()
 * ```
 */
export function instrument<M extends ReducerMap = DefaultReducers>(
  model: LayersModel,
  options: InstrumentOptions<M> = {},
): Probe<M> {
  if (!isLayersModel(model)) {
    throw new InstrumentError(
      'NOT_A_MODEL',
      'instrument() takes a tfjs-layers LayersModel (from tf.sequential, tf.model or ' +
        'tf.loadLayersModel). Graph models from tf.loadGraphModel cannot be instrumented.',
    )
  }
  if (live.has(model)) {
    throw new InstrumentError(
      'ALREADY_INSTRUMENTED',
      'This model is already instrumented. Call dispose() on the existing probe first, or ' +
        'record more with one probe by giving it more reducers.',
    )
  }
  const opts = resolveOptions(options)
  const reducers = (options.reducers ?? { units: unitStats(), patterns: patternHistogram() }) as M
  for (const [key, r] of Object.entries(reducers)) assertReducer(key, r)
  const found = opts.select(findSites(model, opts.granularity))
  if (found.length === 0 && !opts.allowEmpty) {
    throw new InstrumentError(
      'NO_RELU_SITES',
      'The model has no ReLU site to record (Dense/Conv with relu or relu6, ReLU or ' +
        "Activation('relu') layers). LeakyReLU and PReLU are not recorded. Pass " +
        '{ allowEmpty: true } to instrument it anyway.',
    )
  }
  for (const { site, layer } of found) {
    if (live.has(layer)) {
      throw new InstrumentError(
        'ALREADY_INSTRUMENTED',
        `Layer "${site.id}" is already tapped by another probe (a nested model instrumented ` +
          'on its own?). Dispose that probe first.',
        { site: site.id },
      )
    }
  }
  return createProbe(model, found, reducers, opts.passes, opts.every, opts.onError)
}

function createProbe<M extends ReducerMap>(
  model: LayersModel,
  found: FoundSite[],
  reducers: M,
  passes: Passes,
  every: number,
  onError: ((e: InstrumentError) => void) | undefined,
): Probe<M> {
  const keys = Object.keys(reducers)
  const freshStates = (units: number): Record<string, unknown> => {
    const layout = layoutOf(units)
    const s: Record<string, unknown> = {}
    for (const k of keys) s[k] = reducers[k]!.init(layout)
    return s
  }
  const freshCounters = (): SiteCounters => ({ calls: 0, recorded: 0, rows: 0, nonFinite: 0 })
  const runtimes: SiteRuntime[] = found.map((f) => ({
    found: f,
    recorder: new Recorder(f.site),
    states: freshStates(f.site.units),
    counters: freshCounters(),
  }))
  let failure: InstrumentError | null = null
  let measuring: { states: Record<string, unknown>[] } | null = null
  let disposed = false
  const undos: (() => void)[] = []

  const record = (rt: SiteRuntime, index: number, output: unknown, training: boolean): void => {
    if (failure !== null || Array.isArray(output)) return
    const target = measuring === null ? rt.states : measuring.states[index]!
    if (measuring === null) {
      const c = rt.counters
      c.calls++
      if (passes !== 'all' && (passes === 'training') !== training) return
      if ((c.calls - 1) % every !== 0) return
    }
    let key = ''
    try {
      const batch = rt.recorder.pack(output as Tensor)
      if (measuring === null) {
        rt.counters.recorded++
        rt.counters.rows += batch.rows
        rt.counters.nonFinite += batch.nonFinite
      }
      for (key of keys) target[key] = reducers[key]!.update(target[key], batch)
    } catch (error) {
      failure =
        error instanceof InstrumentError && key === ''
          ? error
          : new InstrumentError(
              'REDUCER_FAILED',
              `Reducer "${key}" threw at site "${rt.found.site.id}": ${String(error)}. ` +
                'Recording has stopped; fix the reducer, then call reset() to record again.',
              { cause: error, reducer: key, site: rt.found.site.id },
            )
      onError?.(failure)
    }
  }

  runtimes.forEach((rt, i) => {
    undos.push(tapLayer(rt.found.layer, (out, training) => record(rt, i, out, training)))
    live.set(rt.found.layer, true)
  })
  live.set(model, true)

  const assertLive = (what: string): void => {
    if (disposed) {
      throw new InstrumentError(
        'DISPOSED',
        `Cannot call ${what}() on a disposed probe. Call instrument(model) again for a new one.`,
      )
    }
  }
  const throwFailure = (): void => {
    if (failure !== null) throw failure
  }
  const resultsOf = (states: Record<string, unknown>[]): Results<M> => {
    const out: Record<string, Record<string, unknown>> = {}
    runtimes.forEach((rt, i) => {
      const r: Record<string, unknown> = {}
      for (const k of keys) r[k] = reducers[k]!.result(states[i]![k])
      out[rt.found.site.id] = r
    })
    return out as Results<M>
  }

  const probe: Probe<M> = {
    sites: runtimes.map((rt) => rt.found.site),
    get disposed() {
      return disposed
    },
    results() {
      assertLive('results')
      throwFailure()
      return resultsOf(runtimes.map((rt) => rt.states))
    },
    states() {
      assertLive('states')
      throwFailure()
      const out: Record<string, Record<string, unknown>> = {}
      for (const rt of runtimes) out[rt.found.site.id] = { ...rt.states }
      return out as States<M>
    },
    counters() {
      assertLive('counters')
      const out: Record<string, SiteCounters> = {}
      for (const rt of runtimes) out[rt.found.site.id] = { ...rt.counters }
      return out
    },
    reset() {
      assertLive('reset')
      failure = null
      for (const rt of runtimes) {
        rt.states = freshStates(rt.found.site.units)
        rt.counters = freshCounters()
      }
    },
    async measure(x, measureOptions = {}) {
      assertLive('measure')
      throwFailure()
      if (measuring !== null) {
        throw new InstrumentError('INVALID_INPUT', 'measure() is already running on this probe; await it first.')
      }
      const batchSize = measureOptions.batchSize ?? 128
      if (!Number.isInteger(batchSize) || batchSize < 1) {
        throw new InstrumentError('INVALID_OPTION', `measure({ batchSize: ${String(batchSize)} }) must be a positive integer.`)
      }
      const session = { states: runtimes.map((rt) => freshStates(rt.found.site.units)) }
      measuring = session
      try {
        await runPass(model as unknown as RunnableModel, x, batchSize, measureOptions.training === true)
      } finally {
        measuring = null
      }
      if (failure !== null) {
        const f: InstrumentError = failure
        failure = null
        throw f
      }
      return resultsOf(session.states)
    },
    dispose() {
      if (disposed) return
      disposed = true
      const errors: unknown[] = []
      for (const undo of undos.reverse()) {
        try {
          undo()
        } catch (e) {
          errors.push(e)
        }
      }
      for (const rt of runtimes) live.delete(rt.found.layer)
      live.delete(model)
      if (errors.length > 0) throw errors[0]
    },
  }
  const dispose = (Symbol as { dispose?: symbol }).dispose
  if (dispose !== undefined) Object.defineProperty(probe, dispose, { value: probe.dispose })
  return probe
}
