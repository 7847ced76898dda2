import type { Tensor } from '@tensorflow/tfjs-core'
import type { LayersModel } from '@tensorflow/tfjs-layers'
import type { Measurement } from '../compare/measurement.js'
import { InstrumentError } from '../errors.js'
import { assertOptions } from '../keys.js'
import type { ReducerMap } from '../reducer.js'
import { Reader } from '../record/reader.js'
import { patternHistogram } from '../reducers/pattern-histogram.js'
import { unitStats } from '../reducers/unit-stats.js'
import { type LayerRuntime, groupByLayer, isLayersModel } from './layers.js'
import { type MeasureInput, type RunnableModel, checkInput, forEachBatch, forward, isTensor } from './measure.js'
import { type InstrumentOptions, type ResolvedOptions, checkFormatIds, resolveOptions } from './options.js'
import { Passes } from './passes.js'
import type { DefaultReducers, MeasureOptions, Probe, Results, States } from './probe-types.js'
import { MeasureSession, toLabels } from './session.js'
import { type FoundSite, type SkippedSite, findSites } from './sites.js'
import { ReducerSet, Stream } from './store.js'
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
  const { found: all, skipped } = findSites(model, opts)
  checkFormatIds(opts.dataFormat, all)
  const found = opts.select(all)
  const notSelected: SkippedSite[] = all
    .filter((f) => f.site.plane === 'sign' && !found.some((g) => g.layer === f.layer))
    .map(({ site }) => ({ id: site.id, layerName: site.layerName, className: site.className, path: site.path, reason: 'not-selected', detail: 'Left out by the sites option.' }))
  if (found.length === 0 && !opts.allowEmpty) throw emptyError(all, skipped)
  const problem = found.find((f) => f.problem !== undefined)?.problem
  if (problem !== undefined) throw problem
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
  return createProbe(model, found, [...skipped, ...notSelected], new ReducerSet(reducers), opts)
}

function emptyError(all: readonly FoundSite[], skipped: readonly SkippedSite[]): InstrumentError {
  if (all.length > 0) {
    return new InstrumentError(
      'NO_SITES_SELECTED',
      `The sites option selected none of the model's ${all.length} ReLU sites (${all.map((f) => f.site.id).join(', ')}). ` +
        'Check the ids or the predicate, or pass { allowEmpty: true } to instrument it anyway.',
    )
  }
  const seen = skipped.length === 0 ? '' : ` It has ReLUs that cannot be recorded: ${skipped.map((s) => `${s.id} (${s.reason})`).join(', ')}.`
  return new InstrumentError(
    'NO_RELU_SITES',
    'The model has no ReLU site to record (Dense/Conv with relu or relu6, ReLU or ' +
      `Activation('relu') layers).${seen} Pass { allowEmpty: true } to instrument it anyway.`,
  )
}

/** Hands a handler's own exception to the runtime's `reportError` (browsers), never to the caller. */
function callSafely(handler: ((error: InstrumentError) => void) | undefined, error: InstrumentError): void {
  if (handler === undefined) return
  try {
    handler(error)
  } catch (thrown) {
    const report = (globalThis as { reportError?: (e: unknown) => void }).reportError
    try {
      report?.(thrown)
    } catch {
      // nothing the handler does may reach the training loop
    }
  }
}

const MEASURE_KEYS = ['batchSize', 'training', 'labels', 'retain'] as const

function measureOptions(o: unknown): { batchSize: number; training: boolean; labels: Int32Array | null; retain: boolean } {
  assertOptions('probe.measure(x, options)', o, MEASURE_KEYS)
  const { batchSize = 128, training = false, labels, retain = false } = (o ?? {}) as MeasureOptions
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new InstrumentError('INVALID_OPTION', `measure({ batchSize: ${String(batchSize)} }) must be a positive integer.`)
  }
  for (const [key, value] of [['training', training], ['retain', retain]] as const) {
    if (typeof value !== 'boolean') throw new InstrumentError('INVALID_OPTION', `measure({ ${key} }) must be true or false, not ${String(value)}.`)
  }
  const has = typeof o === 'object' && o !== null && 'labels' in o
  return { batchSize, training, labels: has ? toLabels(labels, 'measure()') : null, retain }
}

function createProbe<M extends ReducerMap>(
  model: LayersModel,
  found: readonly FoundSite[],
  skipped: readonly SkippedSite[],
  reducers: ReducerSet,
  { passes: which, every, onError, read }: ResolvedOptions,
): Probe<M> {
  const sites = found.map((f) => f.site)
  const report = (error: InstrumentError): void => callSafely(onError, error)
  let stream = new Stream(reducers, sites, report)
  const layers = groupByLayer(found)
  const reader = new Reader(read)
  const passes = new Passes<MeasureSession>()
  let disposed = false
  const undos: (() => void)[] = []

  /** Runs inside the model's forward pass: it must never throw into it. */
  const onOutput = (lr: LayerRuntime, output: unknown, training: boolean): void => {
    if (!isTensor(output)) return
    const session = passes.current
    const target = session === null ? stream : session.stream
    if (target.failure !== null) return
    try {
      if (session === null) {
        const first = target.counters[lr.planes[0]!]!
        for (const i of lr.planes) target.counters[i]!.calls++
        if (which !== 'all' && (which === 'training') !== training) return
        if ((first.calls - 1) % every !== 0) return
        for (const i of lr.planes) target.counters[i]!.recorded++
      }
      reader.read(lr.recorder, output as Tensor, session?.current ?? null, {
        done: (batches) => target.fold(lr.planes, batches),
        failed: (error) => target.fail(error, lr.planes[0]!),
      })
    } catch (error) {
      target.fail(error, lr.planes[0]!)
    }
  }

  for (const lr of layers) {
    undos.push(tapLayer(lr.layer, (out, training) => onOutput(lr, out, training)))
    live.set(lr.layer, true)
  }
  live.set(model, true)

  const assertLive = (what: string): void => {
    if (disposed) {
      throw new InstrumentError('DISPOSED', `Cannot call ${what}() on a disposed probe. Call instrument(model) again for a new one.`)
    }
  }
  const interrupted = (): InstrumentError =>
    new InstrumentError('DISPOSED', 'The probe was disposed while measure() was running; the measurement is incomplete and has been dropped.')

  const measure = async (x: MeasureInput, o?: MeasureOptions): Promise<Results<M> | Measurement<Results<M>>> => {
    assertLive('measure')
    const { batchSize, training, labels, retain } = measureOptions(o)
    const session = new MeasureSession(reducers, sites, labels, retain)
    const runnable = model as unknown as RunnableModel
    await forEachBatch(x, batchSize, (input, examples) => {
      if (disposed) throw interrupted()
      checkInput(runnable, input)
      session.beginBatch(Array.isArray(input) ? input : [input], examples)
      try {
        passes.run(session, () => forward(runnable, input, training))
      } catch (error) {
        if (error instanceof InstrumentError) throw error
        throw new InstrumentError('INVALID_INPUT', `The model could not run on this input: ${String(error)}`, { cause: error })
      }
    })
    await reader.flush()
    if (disposed) throw interrupted()
    session.stream.check()
    session.finish()
    const results = session.stream.results() as Results<M>
    if (!retain) return results
    return { kind: 'measurement', examples: session.examples, inputs: session.inputs, results, patterns: session.retained() }
  }

  const probe: Probe<M> = {
    sites,
    skipped,
    get disposed() {
      return disposed
    },
    results() {
      assertLive('results')
      return stream.results() as Results<M>
    },
    states() {
      assertLive('states')
      return stream.snapshot() as States<M>
    },
    counters() {
      assertLive('counters')
      return stream.countersById()
    },
    reset() {
      assertLive('reset')
      stream = new Stream(reducers, sites, report)
    },
    measure: measure as Probe<M>['measure'],
    async flush() {
      await reader.flush()
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
      reader.dispose()
      if (errors.length > 0) throw errors[0]
    },
  }
  const dispose = (Symbol as { dispose?: symbol }).dispose
  if (dispose !== undefined) Object.defineProperty(probe, dispose, { value: probe.dispose })
  return probe
}
