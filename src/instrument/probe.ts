import type { Tensor } from '@tensorflow/tfjs-core'
import { getBackend } from '@tensorflow/tfjs-core'
import type { LayersModel } from '@tensorflow/tfjs-layers'
import type { Measurement } from '../compare/measurement.js'
import { InstrumentError } from '../errors.js'
import { bitWeights, complete, deviceBitsPerWord, launch } from '../record/device.js'
import { expandLabels } from '../record/recorder.js'
import { type PackedBatch, type ReducerMap, assertReducer, layoutOf } from '../reducer.js'
import { patternHistogram } from '../reducers/pattern-histogram.js'
import { unitStats } from '../reducers/unit-stats.js'
import { scheduleCallback } from './callback.js'
import { type MeasureInput, type RunnableModel, runPass } from './measure.js'
import { type InstrumentOptions, type ResolvedOptions, resolveOptions } from './options.js'
import type { DefaultReducers, MeasureOptions, Probe, Results, SiteCounters, States } from './probe-types.js'
import { MeasureSession, toLabels } from './session.js'
import { type LayerRuntime, type SiteRuntime, groupByLayer, isLayersModel } from './layers.js'
import { type FoundSite, type Site, findSites } from './sites.js'
import { tapLayer } from './tap.js'

const live = new WeakMap<object, true>()

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
  const found = opts.select(findSites(model, opts.granularity, opts.saturation))
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
  return createProbe(model, found, reducers, opts)
}

/** Backends where a synchronous read stalls the device. */
const ASYNC_BACKENDS = new Set(['webgl', 'webgpu'])

function createProbe<M extends ReducerMap>(
  model: LayersModel,
  found: FoundSite[],
  reducers: M,
  { passes, every, onError, read }: Pick<ResolvedOptions, 'passes' | 'every' | 'onError' | 'read'>,
): Probe<M> {
  const keys = Object.keys(reducers)
  const freshStates = (units: number): Record<string, unknown> => {
    const layout = layoutOf(units)
    const s: Record<string, unknown> = {}
    for (const k of keys) s[k] = reducers[k]!.init(layout)
    return s
  }
  const freshCounters = (): SiteCounters => ({ calls: 0, recorded: 0, rows: 0, nonFinite: 0 })
  const layers = groupByLayer(found, (site) => ({ site, states: freshStates(site.units), counters: freshCounters() }))
  const all = layers.flatMap((l) => l.sites)
  let failure: InstrumentError | null = null
  let session: MeasureSession | null = null
  let disposed = false
  const undos: (() => void)[] = []
  /** Reads in flight on async backends, applied in the order they were launched. */
  let pending: Promise<void> = Promise.resolve()
  /** Per backend and word size, the bit weights used by device packing; freed by dispose(). */
  const weights = new Map<string, Tensor>()
  const weightsFor = (bitsPerWord: 8 | 16): Tensor => {
    const key = `${getBackend()}/${bitsPerWord}`
    let w = weights.get(key)
    if (w === undefined || w.isDisposed) weights.set(key, (w = bitWeights(bitsPerWord)))
    return w
  }

  /** Stops recording with an error; `key` names the reducer that threw, '' when reading or packing failed. */
  const fail = (error: unknown, key: string, site: Site): void => {
    if (error instanceof InstrumentError && key === '') failure = error
    else if (key === '') {
      failure = new InstrumentError(
        'RECORD_FAILED',
        `Reading the output of site "${site.id}" failed: ${String(error)}. Recording has stopped; ` +
          'call reset() to record again, or report the backend and model if it happens again.',
        { cause: error, site: site.id },
      )
    } else {
      failure = new InstrumentError(
        'REDUCER_FAILED',
        `Reducer "${key}" threw at site "${site.id}": ${String(error)}. ` +
          'Recording has stopped; fix the reducer, then call reset() to record again.',
        { cause: error, reducer: key, site: site.id },
      )
    }
    onError?.(failure)
  }

  /** Folds one layer's batches (one per plane) into the given state records. */
  const apply = (lr: LayerRuntime, batches: PackedBatch[], targets: Record<string, unknown>[], counters: SiteCounters[] | null, s: MeasureSession | null): void => {
    let key = ''
    let current = lr.sites[0]!.site
    try {
      lr.sites.forEach((rt, plane) => {
        current = rt.site
        const batch = batches[plane]!
        const target = targets[plane]!
        const c = counters?.[plane]
        if (c !== undefined) {
          c.rows += batch.rows
          c.nonFinite += batch.nonFinite
        }
        s?.retain(rt.site, batch)
        for (key of keys) target[key] = reducers[key]!.update(target[key], batch)
        key = ''
      })
    } catch (error) {
      fail(error, key, current)
    }
  }

  const record = (lr: LayerRuntime, output: unknown, training: boolean): void => {
    if (failure !== null || Array.isArray(output)) return
    const s = session
    if (s === null) {
      for (const rt of lr.sites) rt.counters.calls++
      if (passes !== 'all' && (passes === 'training') !== training) return
      if ((lr.sites[0]!.counters.calls - 1) % every !== 0) return
      for (const rt of lr.sites) rt.counters.recorded++
    }
    const targets = lr.sites.map((rt) => (s === null ? rt.states : s.states.get(rt.site)!))
    const counters = s === null ? lr.sites.map((rt) => rt.counters) : null
    const spec = lr.recorder.spec
    try {
      if (read === 'sync' || (read === 'auto' && !ASYNC_BACKENDS.has(getBackend()))) {
        apply(lr, lr.recorder.pack(output as Tensor, s?.current ?? null), targets, counters, s)
        return
      }
      const t = output as Tensor
      const launched = launch(spec, t, weightsFor(deviceBitsPerWord()))
      const examples = t.shape[0] ?? 1
      const labels = s?.current == null ? null : expandLabels(spec.id, s.current, examples, launched.positions)
      const ready = complete(launched, spec.units, labels)
      ready.catch(() => undefined) // handled below, in order; this only marks it handled now
      pending = pending
        .then(() => ready)
        .then((batches) => apply(lr, batches, targets, counters, s))
        .catch((error: unknown) => fail(error, '', lr.sites[0]!.site))
    } catch (error) {
      fail(error, '', lr.sites[0]!.site)
    }
  }

  for (const lr of layers) {
    undos.push(tapLayer(lr.layer, (out, training) => record(lr, out, training)))
    live.set(lr.layer, true)
  }
  live.set(model, true)

  const assertLive = (what: string): void => {
    if (disposed) {
      throw new InstrumentError('DISPOSED', `Cannot call ${what}() on a disposed probe. Call instrument(model) again for a new one.`)
    }
  }
  const throwFailure = (): void => {
    if (failure !== null) throw failure
  }
  const resultsOf = (statesOf: (rt: SiteRuntime) => Record<string, unknown>): Results<M> => {
    const out: Record<string, Record<string, unknown>> = {}
    for (const rt of all) {
      const r: Record<string, unknown> = {}
      const states = statesOf(rt)
      for (const k of keys) r[k] = reducers[k]!.result(states[k])
      out[rt.site.id] = r
    }
    return out as Results<M>
  }

  const measure = async (x: MeasureInput, o: MeasureOptions = {}): Promise<Results<M> | Measurement<Results<M>>> => {
    assertLive('measure')
    throwFailure()
    if (session !== null) throw new InstrumentError('INVALID_INPUT', 'measure() is already running on this probe; await it first.')
    const batchSize = o.batchSize ?? 128
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new InstrumentError('INVALID_OPTION', `measure({ batchSize: ${String(batchSize)} }) must be a positive integer.`)
    }
    const labels = o.labels === undefined ? null : toLabels(o.labels)
    const s = new MeasureSession(new Map(all.map((rt) => [rt.site, freshStates(rt.site.units)])), labels, o.retain === true)
    session = s
    try {
      await runPass(model as unknown as RunnableModel, x, batchSize, o.training === true, (inputs, n) => s.beginBatch(inputs, n))
    } finally {
      session = null
    }
    await pending
    if (failure !== null) {
      const f: InstrumentError = failure
      failure = null
      throw f
    }
    s.finish()
    const results = resultsOf((rt) => s.states.get(rt.site)!)
    if (o.retain !== true) return results
    return { kind: 'measurement', examples: s.examples, inputs: s.inputs, results, patterns: s.retained() }
  }

  const probe: Probe<M> = {
    sites: all.map((rt) => rt.site),
    get disposed() {
      return disposed
    },
    results() {
      assertLive('results')
      throwFailure()
      return resultsOf((rt) => rt.states)
    },
    states() {
      assertLive('states')
      throwFailure()
      const out: Record<string, Record<string, unknown>> = {}
      for (const rt of all) out[rt.site.id] = { ...rt.states }
      return out as States<M>
    },
    counters() {
      assertLive('counters')
      const out: Record<string, SiteCounters> = {}
      for (const rt of all) out[rt.site.id] = { ...rt.counters }
      return out
    },
    reset() {
      assertLive('reset')
      failure = null
      for (const rt of all) {
        rt.states = freshStates(rt.site.units)
        rt.counters = freshCounters()
      }
    },
    measure: measure as Probe<M>['measure'],
    async flush() {
      await pending
    },
    callback(options) {
      assertLive('callback')
      return scheduleCallback(probe, options)
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
      for (const lr of layers) live.delete(lr.layer)
      live.delete(model)
      for (const w of weights.values()) w.dispose()
      if (errors.length > 0) throw errors[0]
    },
  }
  const dispose = (Symbol as { dispose?: symbol }).dispose
  if (dispose !== undefined) Object.defineProperty(probe, dispose, { value: probe.dispose })
  return probe
}
