/* instrument(): finds the sites, taps them, and hands back the probe; probeOf and modelAndProbe. */
import type { LayersModel } from '@tensorflow/tfjs-layers'
import { InstrumentError } from '../errors.js'
import { putOwn } from '../keys.js'
import type { ReducerMap } from '../reducer.js'
import { patternHistogram } from '../reducers/pattern-histogram.js'
import { unitStats } from '../reducers/unit-stats.js'
import { type GraphModelLike, findGraphSites, isGraphModel } from './sites/graph.js'
import { graphSource } from './taps/graph.js'
import { type Source, isLayersModel, layersSource } from './taps/layers.js'
import type { MeasureInput, RunnableModel } from './passes/forward.js'
import { type InstrumentOptions, type ResolvedOptions, checkFormatIds, resolveOptions } from './options.js'
import type { DefaultReducers, Probe, Results, States } from './probe-types.js'
import type { MeasureOptions } from './options.js'
import type { Measurement } from '../compare/measurement.js'
import { Recording } from './passes/recording.js'
import { type NetworkPart, networkSite } from './sites/network.js'
import { type FindOptions, type FoundSite, type Site, type SkippedSite, findSites } from './sites/layers.js'
import { ReducerSet } from './passes/store.js'

/** Instrumented models (to their probe) and tapped layers. */
const live = new WeakMap<object, Probe<ReducerMap> | true>()

/**
 * The live probe instrumenting `model`, or undefined when it has none. Features that run
 * a model (region maps, monitors) record through this probe rather than tapping the model
 * a second time.
 *
 * @example
 * ```ts
 * import { instrument, probeOf } from 'relu-patterns'
 *
 * const probe = instrument(model)
 * probeOf(model) === probe // true until probe.dispose()
 * ```
 */
export function probeOf(model: object): Probe<ReducerMap> | undefined {
  const p = live.get(model)
  return p === true ? undefined : p
}

/** A model's ReLU sites as `instrument` names them by default (sign planes, position granularity), found without tapping anything. */
export function modelSites(model: LayersModel | GraphModelLike): Site[] {
  const o: FindOptions = { granularity: 'position', saturation: false, dataFormat: undefined, activations: new Set(['relu'] as const) }
  return (isGraphModel(model) ? findGraphSites(model, o) : findSites(model as never, o)).found.map((f) => f.site)
}

/** Probes made by `instrument`, to tell them from models where either is taken. */
const probes = new WeakSet<object>()

/**
 * Where a feature takes a model or a probe: the model, and the probe to record through
 * (the one given, or the model's live probe, or undefined). A disposed probe is refused.
 */
export function modelAndProbe<T extends object>(
  target: T | Probe<ReducerMap>,
  where: string,
): { model: T; probe: Probe<ReducerMap> | undefined } {
  if (probes.has(target)) {
    const probe = target as Probe<ReducerMap>
    if (probe.disposed) throw new InstrumentError('DISPOSED', `${where}: the probe is disposed. Pass the model, or a live probe.`)
    return { model: probe.model as unknown as T, probe }
  }
  return { model: target as T, probe: probeOf(target) }
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
  model: LayersModel | GraphModelLike,
  options: InstrumentOptions<M> = {},
): Probe<M> {
  const graph = isGraphModel(model)
  const unloaded = model as { load?: unknown; executor?: unknown } | null
  if (
    !graph &&
    typeof unloaded?.load === 'function' &&
    typeof (unloaded as { executeAsync?: unknown }).executeAsync === 'function' &&
    unloaded.executor === undefined
  ) {
    throw new InstrumentError(
      'NOT_A_MODEL',
      'This GraphModel is not loaded yet: instrument the model that `await tf.loadGraphModel(url)` returns.',
    )
  }
  if (!graph && !isLayersModel(model)) {
    throw new InstrumentError(
      'NOT_A_MODEL',
      'instrument() takes a tfjs-layers LayersModel (tf.sequential, tf.model, tf.loadLayersModel) or a ' +
        'tfjs-converter GraphModel (tf.loadGraphModel).',
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
  if (graph && opts.passes === 'training') {
    throw new InstrumentError('INVALID_OPTION', "passes: 'training' would record nothing: a graph model has no training mode.")
  }
  const reducers = (options.reducers ?? { units: unitStats(), patterns: patternHistogram() }) as M
  const { found: all, skipped } = graph ? findGraphSites(model, opts) : findSites(model as never, opts)
  checkFormatIds(opts.dataFormat, all, graph)
  const found = opts.select(all)
  const notSelected: SkippedSite[] = all
    .filter((f) => f.site.plane === 'sign' && !found.some((g) => g.layer === f.layer))
    .map(({ site }) => ({
      id: site.id,
      layerName: site.layerName,
      className: site.className,
      path: site.path,
      reason: 'not-selected',
      detail: 'Left out by the sites option.',
    }))
  if (found.length === 0 && !opts.allowEmpty) throw emptyError(all, skipped)
  const problem = found.find((f) => f.problem !== undefined)?.problem
  if (problem !== undefined) throw problem
  for (const { site, layer } of found) {
    if (live.has(layer)) {
      throw new InstrumentError(
        'ALREADY_INSTRUMENTED',
        `Layer "${site.id}" is already tapped by another probe (a nested model instrumented on its own?). Dispose that probe first.`,
        { site: site.id },
      )
    }
  }
  const values = opts.values || Object.values(reducers).some((r) => (r as { needs?: unknown }).needs === 'values')
  const source = graph ? graphSource(model, found, values) : layersSource(found, values)
  const network = opts.network ? networkSite(found.map((f) => f.site)) : null
  const made = Object.freeze({ ...options, reducers }) as Readonly<InstrumentOptions<M>>
  return createProbe<M>(model as never, found, [...skipped, ...notSelected], source, new ReducerSet(reducers), opts, network, made)
}

function emptyError(all: readonly FoundSite[], skipped: readonly SkippedSite[]): InstrumentError {
  if (all.length > 0) {
    return new InstrumentError(
      'NO_SITES_SELECTED',
      `The sites option selected none of the model's ${all.length} ReLU sites (${all.map((f) => f.site.id).join(', ')}). ` +
        'Check the ids or the predicate, or pass { allowEmpty: true } to instrument it anyway.',
    )
  }
  const seen =
    skipped.length === 0 ? '' : ` It has ReLUs that cannot be recorded: ${skipped.map((s) => `${s.id} (${s.reason})`).join(', ')}.`
  return new InstrumentError(
    'NO_RELU_SITES',
    'The model has no ReLU site to record (Dense/Conv with relu or relu6, ReLU or ' +
      `Activation('relu') layers).${seen} Pass { allowEmpty: true } to instrument it anyway.`,
    { skipped: skipped.map((k) => ({ id: k.id, reason: k.reason })) },
  )
}

function createProbe<M extends ReducerMap>(
  model: object,
  found: readonly FoundSite[],
  skipped: readonly SkippedSite[],
  source: Source,
  reducers: ReducerSet,
  options: ResolvedOptions,
  network: { site: Site; parts: NetworkPart[] } | null,
  made: Readonly<InstrumentOptions<M>>,
): Probe<M> {
  const sites = found.map((f) => f.site)
  if (network !== null) sites.push(network.site)
  const recording = new Recording(model as unknown as RunnableModel, sites, source, reducers, options, network?.parts ?? null)
  recording.attach()
  for (const layer of recording.tapped) live.set(layer, true)
  const assertLive = (what: string): void => {
    if (recording.disposed) {
      throw new InstrumentError('DISPOSED', `Cannot call ${what}() on a disposed probe. Call instrument(model) again for a new one.`)
    }
  }
  /** `run()`, once the probe is known to be live. */
  const ifLive = <T>(what: string, run: () => T): T => {
    assertLive(what)
    return run()
  }
  const resultsOf = (states: States<M>): Results<M> => {
    const out: Record<string, Record<string, unknown>> = {}
    for (const site of recording.sites) putOwn(out, site.id, reducers.results(site, statesOf(states, site, reducers)))
    return out as Results<M>
  }
  const probe: Probe<M> = {
    model: model as LayersModel | GraphModelLike,
    options: made,
    sites: recording.sites,
    network: network?.parts ?? null,
    skipped,
    get disposed() {
      return recording.disposed
    },
    results: (states) => ifLive('results', () => (states === undefined ? (recording.stream.results() as Results<M>) : resultsOf(states))),
    states: () => ifLive('states', () => recording.stream.snapshot() as States<M>),
    counters: () => ifLive('counters', () => recording.stream.countersById()),
    reset: () => ifLive('reset', () => recording.reset()),
    measure: (async (x: MeasureInput, o?: MeasureOptions) => ifLive('measure', () => recording.measure(x, o))) as Probe<M>['measure'],
    measurePatterns: async (x, o) =>
      ifLive('measurePatterns', () => recording.measure(x, o, 'measurePatterns') as Promise<Measurement<Results<M>>>),
    measureStates: async (x, o) => ifLive('measureStates', () => recording.measure(x, o, 'measureStates') as Promise<States<M>>),
    mergeStates: (a, b) => {
      assertLive('mergeStates')
      const out: Record<string, Record<string, unknown>> = {}
      for (const site of recording.sites)
        putOwn(out, site.id, reducers.merge(site, statesOf(a, site, reducers), statesOf(b, site, reducers)))
      return out as States<M>
    },
    flush: () => recording.flush(),
    capture: (fn) => ifLive('capture', () => recording.capture(fn)),
    dispose() {
      if (recording.disposed) return
      const errors = recording.detach()
      for (const layer of recording.tapped) live.delete(layer)
      live.delete(model)
      if (errors.length > 0) throw errors[0]
    },
  }
  const dispose = (Symbol as { dispose?: symbol }).dispose
  if (dispose !== undefined) Object.defineProperty(probe, dispose, { value: probe.dispose })
  live.set(model, probe as unknown as Probe<ReducerMap>)
  probes.add(probe)
  return probe
}

/** One site's states from a `States` object, or `INVALID_INPUT` when they are not there. */
function statesOf(states: unknown, site: Site, reducers: ReducerSet): Record<string, unknown> {
  const own = (o: unknown, key: string): unknown =>
    typeof o === 'object' && o !== null && Object.hasOwn(o, key) ? (o as Record<string, unknown>)[key] : undefined
  const forSite = own(states, site.id)
  const missing = reducers.keys.filter((key) => own(forSite, key) === undefined)
  if (missing.length > 0) {
    throw new InstrumentError(
      'INVALID_INPUT',
      `These states have no ${missing.join(', ')} state for site "${site.id}": states must come from probe.states() or ` +
        'probe.measureStates() of a probe with the same sites and reducers.',
    )
  }
  return forSite as Record<string, unknown>
}
