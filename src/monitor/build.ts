/* buildMonitor(): per-class sets of training patterns at the monitored sites, from one pass. */
import type { Tensor } from '@tensorflow/tfjs-core'
import type { Measurement } from '../compare/measurement.js'
import { InstrumentError } from '../errors.js'
import type { ReducerMap } from '../reducer.js'
import { MEASURE_OPTIONS, modelAndProbe, outputIndex, sitesOfOutput, toLabels, type MeasureInput, type Probe } from '../instrument/index.js'
import { outputChoice } from '../instrument/index.js'
import { getOwn } from '../keys.js'
import { type Declaration, bytes, declareOptions, later, oneOf, strings } from '../options.js'
import { Monitor } from './monitor.js'
import { type MonitoredSite, type PatternSet, SetBuilder, examplePatterns } from './pattern-sets.js'
import { type MonitorModel, assertModel, declaredClasses, modelSites, withProbe } from './probes.js'

/** Options of {@link buildMonitor}. */
export interface MonitorOptions {
  /** Site ids to monitor (default: the last ReLU site the class output depends on, the one nearest it). */
  sites?: readonly string[]
  /** Class of a training example: its `'label'` (needs `labels`) or the model's `'prediction'`. Default: `'label'` when labels are given. */
  by?: 'label' | 'prediction'
  /** One integer class per training example, for `by: 'label'`. */
  labels?: ArrayLike<number> | Tensor
  /** Examples per forward pass (default 128); only when `data` is data, not a measurement. */
  batchSize?: number
  /** Most bytes of distinct patterns the monitor may hold (default 256 MiB); past it building fails. */
  maxBytes?: number
  /**
   * The output that gives the class, for a model with several: its index or name (a layers
   * model's `outputNames`, a graph model's `outputNodes` or `outputs[i].name`). It must be
   * `[examples, classes]` with two or more classes. Default: the first output.
   */
  output?: number | string
}

const DEFAULT_MAX_BYTES = 256 * 1024 * 1024
const OPTIONS = /* @__PURE__ */ declareOptions(
  'buildMonitor(model, data, options)',
  () =>
    ({
      sites: { check: strings },
      by: { check: oneOf(['label', 'prediction']) },
      labels: { check: later('one integer label per example') },
      batchSize: MEASURE_OPTIONS.fields.batchSize,
      maxBytes: { check: bytes, default: DEFAULT_MAX_BYTES },
      output: { check: outputChoice },
    }) satisfies Declaration<MonitorOptions>,
)

const isMeasurement = (x: unknown): x is Measurement<unknown> =>
  typeof x === 'object' &&
  x !== null &&
  (x as Measurement<unknown>).kind === 'measurement' &&
  typeof (x as Measurement<unknown>).patterns === 'object'

/** The site ids to monitor: given (checked), or the last ReLU site the output depends on. */
function siteIds(model: MonitorModel, sites: unknown, output: number): string[] {
  const all = modelSites(model)
  if (sites === undefined) {
    const last = sitesOfOutput(model, output, all, 'buildMonitor(model, data, options)').at(-1)
    if (last === undefined) throw new InstrumentError('NO_RELU_SITES', `Output ${output} of the model depends on no ReLU site to monitor.`)
    return [last.id]
  }
  if (!Array.isArray(sites) || !sites.every((id) => typeof id === 'string'))
    throw new InstrumentError('INVALID_OPTION', 'sites must be an array of site ids.')
  if (sites.length === 0) throw new InstrumentError('NO_SITES_SELECTED', 'buildMonitor() needs at least one site to monitor.')
  for (const id of sites) {
    if (!all.some((s) => s.id === id)) {
      throw new InstrumentError('UNKNOWN_SITE', `No ReLU site "${id}" in this model; its sites are ${all.map((s) => s.id).join(', ')}.`, {
        site: id,
      })
    }
  }
  return [...new Set(sites as string[])]
}

/** The measurement a monitor is built from: given (checked), or one pass over the data now. */
async function measurementOf(
  model: MonitorModel,
  data: MeasureInput | Measurement<unknown>,
  ids: string[],
  options: MonitorOptions,
  output: number,
): Promise<Measurement<unknown>> {
  if (!isMeasurement(data)) {
    const batch = options.batchSize === undefined ? {} : { batchSize: options.batchSize }
    return withProbe(model, ids, (probe) => probe.measurePatterns(data, { predictions: true, output, ...batch }))
  }
  if (options.batchSize !== undefined)
    throw new InstrumentError('INVALID_OPTION', 'batchSize applies to data; a measurement has already run.')
  return data
}

/** The output that gives the class: the one asked for, else the one a given measurement's predictions come from, else the first. */
function chosenOutput(model: MonitorModel, data: unknown, output: number | string | undefined): number {
  const requested = output === undefined ? undefined : outputIndex(model, output, 'buildMonitor(model, data, options)')
  const measured = isMeasurement(data) ? data.output : undefined
  if (requested !== undefined && measured !== undefined && requested !== measured)
    throw new InstrumentError(
      'MODEL_MISMATCH',
      `The measurement's predictions come from output ${measured}; the monitor is asked to read output ${requested}. Measure with { output: ${requested} }.`,
    )
  return requested ?? measured ?? 0
}

/** The number of classes: the model's declared output, checked against the measured one, or the measured one. */
function classesOfMeasurement(m: Measurement<unknown>, declared: number | null): number {
  const measured = m.classes
  if (declared !== null && measured !== undefined && measured !== declared)
    throw new InstrumentError(
      'MODEL_MISMATCH',
      `The measurement's predictions are among ${measured} classes; the monitored output has ${declared}. Measure with the same output.`,
    )
  const classes = declared ?? measured
  if (classes === 0) throw new InstrumentError('INVALID_INPUT', 'buildMonitor() got no examples; give it training data.')
  if (classes === undefined) {
    throw new InstrumentError(
      'INVALID_INPUT',
      "This model does not declare its output's shape, so the number of classes comes from the pass: make the measurement " +
        'with probe.measurePatterns(x, { predictions: true, output }), or give buildMonitor the data itself.',
    )
  }
  return classes
}

/** The monitored sites and the width of their example patterns; a shared layer (two calls per pass) is refused. */
function monitoredSites(m: Measurement<unknown>, ids: readonly string[]): MonitoredSite[] {
  return ids.map((id) => {
    const p = getOwn(m.patterns, id)
    if (p === undefined)
      throw new InstrumentError('UNKNOWN_SITE', `The measurement has no site "${id}"; it has ${Object.keys(m.patterns).join(', ')}.`, {
        site: id,
      })
    if (!Number.isInteger(m.examples) || m.examples < 0 || p.rows !== m.examples * p.positions) {
      throw new InstrumentError(
        'INVALID_INPUT',
        `Site "${id}" has ${p.rows} rows for ${m.examples} examples of ${p.positions} positions: a layer called more than once per ` +
          'pass (shared), or a measurement of another model. Monitor another site.',
        { site: id },
      )
    }
    return { id, units: p.units, rowsPerExample: p.positions, bits: p.units * p.positions }
  })
}

/** The class of every training example, checked against the model's classes: every class must occur. */
function assignedClasses(m: Measurement<unknown>, by: 'label' | 'prediction', labels: Int32Array | null, classes: number): Int32Array {
  const assigned = by === 'label' ? labels! : m.predictions
  if (assigned === undefined)
    throw new InstrumentError(
      'INVALID_INPUT',
      "by: 'prediction' needs a measurement made with probe.measurePatterns(x, { predictions: true }).",
    )
  if (assigned.length !== m.examples)
    throw new InstrumentError('INVALID_INPUT', `buildMonitor() got ${assigned.length} labels for ${m.examples} examples.`)
  const bad = assigned.findIndex((c) => c < 0 || c >= classes)
  if (bad >= 0)
    throw new InstrumentError('INVALID_INPUT', `Class ${assigned[bad]} of example ${bad} is outside the model's ${classes} classes.`)
  const missing = Array.from({ length: classes }, (_, c) => c).filter((c) => !assigned.includes(c))
  if (missing.length > 0) {
    throw new InstrumentError(
      'INVALID_INPUT',
      `Class${missing.length > 1 ? 'es' : ''} ${missing.join(', ')} ha${missing.length > 1 ? 've' : 's'} no training patterns ` +
        `(by ${by}). Give examples of every class${by === 'prediction' ? ", or build by: 'label'" : ''}.`,
    )
  }
  return assigned
}

/**
 * Builds a {@link Monitor} from training data: one forward pass over `data`, keeping per
 * class (the label, or the model's prediction) the exact set of distinct patterns at the
 * monitored sites. Takes the model, or its live probe (whose sites it then reads); uses the
 * model's probe if it has one, else instruments it for the pass.
 * `data` may also be a measurement already made with `probe.measurePatterns(x)`
 * (add `predictions: true` for `by: 'prediction'`): then no pass runs. Every class must
 * have patterns.
 *
 * @example
 * ```ts
 * const monitor = await buildMonitor(model, trainXs, { labels: trainLabels })
 * await monitor.calibrate(heldOutXs, { falseAlarmRate: 0.05 })
 * const checks = await monitor.check(incoming)
 * ```
 */
export async function buildMonitor(
  target: MonitorModel | Probe<ReducerMap>,
  data: MeasureInput | Measurement<unknown>,
  options: MonitorOptions = {},
): Promise<Monitor> {
  // a probe records through itself: it is its model's live probe
  const { model } = modelAndProbe<MonitorModel>(target, 'buildMonitor(model, data, options)')
  assertModel(model, 'buildMonitor(model, data, options)')
  const o = OPTIONS.parse(options)
  const by = o.by ?? (options.labels === undefined ? 'prediction' : 'label')
  if (by === 'label' && options.labels === undefined)
    throw new InstrumentError('INVALID_OPTION', "by: 'label' needs labels, one per example.")
  if (by === 'prediction' && options.labels !== undefined)
    throw new InstrumentError('INVALID_OPTION', "labels are used with by: 'label' only.")
  const { maxBytes } = o
  const labels = options.labels === undefined ? null : toLabels(options.labels, 'buildMonitor()')
  const output = chosenOutput(model, data, o.output)
  const declared = declaredClasses(model, output)
  const ids = siteIds(model, options.sites, output)
  const m = await measurementOf(model, data, ids, options, output)
  const classes = classesOfMeasurement(m, declared)
  const sites = monitoredSites(m, ids)
  const assigned = assignedClasses(m, by, labels, classes)
  const budget = { left: maxBytes }
  const sets = new Map<string, Map<number, PatternSet>>()
  for (const site of sites) {
    const builder = new SetBuilder(site.bits, budget)
    examplePatterns(site, m.patterns[site.id]!, m.examples).forEach((p, e) => {
      builder.add(assigned[e]!, p)
    })
    sets.set(site.id, builder.sets())
  }
  return new Monitor(model, sites, by, classes, sets, null, output)
}
