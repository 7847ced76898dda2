import type { Tensor } from '@tensorflow/tfjs-core'
import type { LayersModel } from '@tensorflow/tfjs-layers'
import type { Measurement, RetainedPatterns } from '../compare/measurement.js'
import { InstrumentError } from '../errors.js'
import { instrument, liveProbe } from '../instrument/probe.js'
import { type MeasureInput, predictedClasses } from '../instrument/measure.js'
import type { Probe } from '../instrument/probe-types.js'
import { toLabels } from '../instrument/session.js'
import { assertOptions } from '../keys.js'
import type { ReducerMap } from '../reducer.js'
import { type MonitoredSite, type PatternSet, SetBuilder, examplePatterns, nearestDistance, unionSets } from './pattern-sets.js'
import { type MonitorData, fromData, toData } from './monitor-data.js'

/** Options of {@link buildMonitor}. */
export interface MonitorOptions {
  /** Site ids to monitor (default: the last ReLU site, the one nearest the output). */
  sites?: string[]
  /** Class of a training example: its `'label'` (needs `labels`) or the model's `'prediction'`. Default: `'label'` when labels are given. */
  by?: 'label' | 'prediction'
  /** One integer class per training example, for `by: 'label'`. */
  labels?: ArrayLike<number> | Tensor
  /** Examples per forward pass (default 128). */
  batchSize?: number
  /** Most bytes of distinct patterns the monitor may hold (default 256 MiB); past it building fails. */
  maxBytes?: number
}

/** What the monitor says about one monitored site for one example. */
export interface SiteCheck {
  /** The example's pattern at this site was seen for its class. */
  seen: boolean
  /** Hamming distance (bits) to the nearest pattern seen for its class; 0 when seen. Exact. */
  distance: number
}

/** What the monitor says about one example. */
export interface ExampleCheck {
  /** The class the model assigns (the index of its largest output). */
  class: number
  /** Per monitored site id. */
  sites: Record<string, SiteCheck>
  /** Mean over monitored sites of `distance / bits`: 0 when every pattern was seen, up to 1. */
  score: number
  /** `'out'` when `score` is above the calibrated threshold, `'in'` otherwise; null before `calibrate`. */
  verdict: 'in' | 'out' | null
}

const DEFAULT_MAX_BYTES = 256 * 1024 * 1024

/** Runs `fn` with a probe on the model recording `ids`: the model's own live probe, or a temporary one. */
async function withProbe<T>(model: LayersModel, ids: readonly string[] | undefined, fn: (probe: Probe<ReducerMap>) => Promise<T>): Promise<T> {
  const existing = liveProbe(model)
  if (existing !== undefined) {
    const missing = (ids ?? []).filter((id) => !existing.sites.some((s) => s.id === id))
    if (missing.length > 0) {
      throw new InstrumentError(
        'ALREADY_INSTRUMENTED',
        `The model's probe does not record ${missing.join(', ')}. Dispose it, or instrument the model with those sites too.`,
      )
    }
    return fn(existing)
  }
  const probe = instrument(model, { reducers: {}, ...(ids === undefined ? {} : { sites: [...ids] }) })
  try {
    return await fn(probe)
  } finally {
    probe.dispose()
  }
}

function classesOf(model: LayersModel): number {
  const shape = (model.outputs?.[0]?.shape ?? []) as (number | null)[]
  const c = shape[shape.length - 1]
  if (shape.length !== 2 || typeof c !== 'number') {
    throw new InstrumentError('INVALID_INPUT', 'A monitor needs a classifier: a model whose (first) output is [examples, classes].')
  }
  return c
}

/**
 * A runtime monitor of activation patterns (Cheng, Nührenberg & Yasuoka 2019): for each
 * class, the exact set of patterns the training data produced at the monitored sites.
 * An input whose pattern is far (in Hamming distance) from every pattern seen for the
 * class the model assigns is flagged. Build it with {@link buildMonitor}.
 */
export class Monitor {
  /** Distance above which an example is `'out'`; set by `calibrate`. */
  threshold: number | null

  /** @internal Use {@link buildMonitor} or {@link Monitor.parse}. */
  constructor(
    private readonly model: LayersModel,
    readonly sites: readonly MonitoredSite[],
    readonly by: 'label' | 'prediction',
    readonly classes: number,
    private readonly sets: ReadonlyMap<string, ReadonlyMap<number, PatternSet>>,
    threshold: number | null,
  ) {
    this.threshold = threshold
  }

  /** Distinct patterns held, over all sites and classes. */
  get patterns(): number {
    let n = 0
    for (const byClass of this.sets.values()) for (const set of byClass.values()) n += set.rows
    return n
  }

  /** Bytes held by the patterns (indexes, built on first use, add about as much again). */
  get bytes(): number {
    let n = 0
    for (const byClass of this.sets.values()) for (const set of byClass.values()) n += set.words.byteLength
    return n
  }

  /**
   * Checks every example of `x` (one forward pass, in batches): its class, and per site
   * whether its pattern was seen for that class and how far the nearest one is.
   *
   * @example
   * ```ts
   * const checks = await monitor.check(xs)
   * checks.filter((c) => c.verdict === 'out').length
   * ```
   */
  async check(x: MeasureInput, options: { batchSize?: number } = {}): Promise<ExampleCheck[]> {
    assertOptions('monitor.check(x, options)', options, ['batchSize'])
    const ids = this.sites.map((s) => s.id)
    const m = await withProbe(this.model, ids, (probe) =>
      probe.measure(x, { retain: true, predictions: true, ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }) }),
    )
    return this.checkPatterns(m.patterns, m.predictions!)
  }

  /** Checks examples from their retained patterns and assigned classes (what `check` and `attach` do after the pass). */
  checkPatterns(patterns: Record<string, RetainedPatterns>, classes: Int32Array): ExampleCheck[] {
    const examples = classes.length
    const perSite = this.sites.map((site) => {
      const retained = patterns[site.id]
      if (retained === undefined) throw new InstrumentError('MODEL_MISMATCH', `No patterns for monitored site "${site.id}".`, { site: site.id })
      return examplePatterns(site, retained, examples)
    })
    const out: ExampleCheck[] = []
    for (let e = 0; e < examples; e++) {
      const cls = classes[e]!
      const sites: Record<string, SiteCheck> = {}
      let score = 0
      this.sites.forEach((site, i) => {
        const set = this.sets.get(site.id)?.get(cls)
        const distance = set === undefined ? site.bits : nearestDistance(set, site.bits, perSite[i]![e]!)
        Object.defineProperty(sites, site.id, { value: { seen: distance === 0, distance }, enumerable: true, writable: true, configurable: true })
        score += distance / site.bits
      })
      score /= this.sites.length
      out.push({ class: cls, sites, score, verdict: this.threshold === null ? null : score > this.threshold ? 'out' : 'in' })
    }
    return out
  }

  /**
   * Sets the threshold from held-out in-distribution data: the smallest score such that
   * at most `falseAlarmRate` of these examples score above it. Returns the threshold and
   * the false-alarm rate it gives on them.
   *
   * @example
   * ```ts
   * await monitor.calibrate(heldOutXs, { falseAlarmRate: 0.05 })
   * ```
   */
  async calibrate(x: MeasureInput, options: { falseAlarmRate: number; batchSize?: number }): Promise<{ threshold: number; falseAlarms: number }> {
    assertOptions('monitor.calibrate(x, options)', options, ['falseAlarmRate', 'batchSize'], false)
    const rate = options.falseAlarmRate
    if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) {
      throw new InstrumentError('INVALID_OPTION', `calibrate({ falseAlarmRate }) must be in [0, 1), not ${String(rate)}.`)
    }
    const checks = await this.check(x, options.batchSize === undefined ? {} : { batchSize: options.batchSize })
    if (checks.length === 0) throw new InstrumentError('INVALID_INPUT', 'calibrate() needs held-out examples; it got none.')
    const scores = checks.map((c) => c.score).sort((a, b) => a - b)
    const allowed = Math.floor(rate * scores.length)
    const threshold = scores[scores.length - 1 - allowed]!
    this.threshold = threshold
    return { threshold, falseAlarms: scores.filter((s) => s > threshold).length / scores.length }
  }

  /**
   * Checks the inputs of the application's own `model.predict` calls, in the same forward
   * pass: `predict` returns what it returned before, and `onVerdict` receives the checks
   * of its examples (after any asynchronous reads). Returns the undo. Exceptions thrown by
   * `onVerdict` go to `reportError` where the runtime has it, never to the caller of `predict`.
   *
   * @example
   * ```ts
   * const detach = monitor.attach((checks) => checks.forEach((c) => c.verdict === 'out' && warn(c)))
   * model.predict(x) // as before
   * detach()
   * ```
   */
  attach(onVerdict: (checks: ExampleCheck[]) => void): () => void {
    if (typeof onVerdict !== 'function') throw new InstrumentError('INVALID_OPTION', 'monitor.attach(onVerdict) takes a function.')
    const model = this.model as LayersModel & { predict: LayersModel['predict'] }
    const own = liveProbe(model)
    const probe = own ?? instrument(model, { reducers: {}, sites: this.sites.map((s) => s.id) })
    const hadOwn = Object.prototype.hasOwnProperty.call(model, 'predict')
    const previous = model.predict
    const report = (error: unknown): void => (globalThis as { reportError?: (e: unknown) => void }).reportError?.(error)
    model.predict = ((x: Tensor | Tensor[], config?: object) => {
      const { value, patterns } = probe.capture(() => previous.call(model, x, config))
      let classes: Int32Array
      try {
        classes = predictedClasses(value)
      } catch (error) {
        report(error)
        return value
      }
      patterns.then((p) => onVerdict(this.checkPatterns(p, classes))).catch(report)
      return value
    }) as LayersModel['predict']
    return () => {
      if (hadOwn) model.predict = previous
      else delete (model as Partial<LayersModel>).predict
      if (own === undefined) probe.dispose()
    }
  }

  /** A monitor holding the patterns of both (built on shards of the same data, say); it is not calibrated. */
  merge(other: Monitor): Monitor {
    const same =
      other instanceof Monitor && other.by === this.by && other.classes === this.classes && other.sites.length === this.sites.length &&
      other.sites.every((s, i) => JSON.stringify(s) === JSON.stringify(this.sites[i]))
    if (!same) throw new InstrumentError('MODEL_MISMATCH', 'Merge monitors built the same way: same sites, classes and `by`.')
    const sets = new Map<string, Map<number, PatternSet>>()
    for (const site of this.sites) {
      const a = this.sets.get(site.id)!
      const b = other.sets.get(site.id)!
      const merged = new Map<number, PatternSet>()
      for (const cls of new Set([...a.keys(), ...b.keys()])) {
        const sa = a.get(cls)
        const sb = b.get(cls)
        merged.set(cls, sa !== undefined && sb !== undefined ? unionSets(sa, sb, site.bits) : (sa ?? sb)!)
      }
      sets.set(site.id, merged)
    }
    return new Monitor(this.model, this.sites, this.by, this.classes, sets, null)
  }

  /** The monitor as text (patterns, classes, sites, threshold) that {@link Monitor.parse} reads. */
  stringify(): string {
    return toData(this.sites, this.by, this.classes, this.sets, this.threshold)
  }

  /**
   * Reads a monitor written by `stringify`, bound to `model` (the same architecture: its
   * sites must match). Damaged text is `CORRUPT_DATA`, another model `MODEL_MISMATCH`.
   *
   * @example
   * ```ts
   * const monitor = Monitor.parse(readFileSync('monitor.json', 'utf8'), model)
   * ```
   */
  static parse(text: string, model: LayersModel): Monitor {
    const data: MonitorData = fromData(text)
    const probe = liveProbe(model)
    const sites = probe?.sites ?? withTemporary(model)
    for (const s of data.sites) {
      const site = sites.find((t) => t.id === s.id)
      if (site === undefined || site.units !== s.units) {
        throw new InstrumentError('MODEL_MISMATCH', `The monitor watches site "${s.id}" of ${s.units} units, which this model does not have.`, { site: s.id })
      }
    }
    if (classesOf(model) !== data.classes) throw new InstrumentError('MODEL_MISMATCH', `The monitor has ${data.classes} classes; this model has ${classesOf(model)}.`)
    return new Monitor(model, data.sites, data.by, data.classes, data.sets, data.threshold)
  }
}

function withTemporary(model: LayersModel): Probe<ReducerMap>['sites'] {
  const probe = instrument(model, { reducers: {} })
  const sites = probe.sites
  probe.dispose()
  return sites
}

const BUILD_KEYS = ['sites', 'by', 'labels', 'batchSize', 'maxBytes'] as const

const isMeasurement = (x: unknown): x is Measurement<unknown> =>
  typeof x === 'object' && x !== null && (x as Measurement<unknown>).kind === 'measurement' && typeof (x as Measurement<unknown>).patterns === 'object'

/** The measurement a monitor is built from: given, or one pass over the data now. */
async function measurementOf(model: LayersModel, data: MeasureInput | Measurement<unknown>, options: MonitorOptions): Promise<Measurement<unknown>> {
  if (isMeasurement(data)) return data
  return withProbe(model, options.sites, (probe) =>
    probe.measure(data, { retain: true, predictions: true, ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }) }),
  )
}

/** The monitored sites (default: the last sign site) and their example pattern widths. */
function monitoredSites(m: Measurement<unknown>, ids: readonly string[] | undefined): MonitoredSite[] {
  const chosen = ids ?? Object.keys(m.patterns).filter((id) => !id.endsWith(':saturated')).slice(-1)
  return chosen.map((id) => {
    const p = Object.prototype.hasOwnProperty.call(m.patterns, id) ? m.patterns[id] : undefined
    if (p === undefined) throw new InstrumentError('UNKNOWN_SITE', `The measurement has no site "${id}"; it has ${Object.keys(m.patterns).join(', ')}.`, { site: id })
    const rowsPerExample = m.examples === 0 ? 1 : p.rows / m.examples
    return { id, units: p.units, rowsPerExample, bits: p.units * rowsPerExample }
  })
}

/**
 * Builds a {@link Monitor} from training data: one forward pass over `data`, keeping per
 * class (the label, or the model's prediction) the exact set of distinct patterns at the
 * monitored sites. Uses the model's probe if it has one, else instruments it for the pass.
 * `data` may also be a measurement already made with `probe.measure(x, { retain: true })`
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
export async function buildMonitor(model: LayersModel, data: MeasureInput | Measurement<unknown>, options: MonitorOptions = {}): Promise<Monitor> {
  assertOptions('buildMonitor(model, data, options)', options, BUILD_KEYS)
  const by = options.by ?? (options.labels === undefined ? 'prediction' : 'label')
  if (by !== 'label' && by !== 'prediction') throw new InstrumentError('INVALID_OPTION', `by must be 'label' or 'prediction', not ${String(by)}.`)
  if (by === 'label' && options.labels === undefined) throw new InstrumentError('INVALID_OPTION', "by: 'label' needs labels, one per example.")
  if (by === 'prediction' && options.labels !== undefined) throw new InstrumentError('INVALID_OPTION', "labels are used with by: 'label' only.")
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES
  if (typeof maxBytes !== 'number' || !(maxBytes > 0)) throw new InstrumentError('INVALID_OPTION', 'maxBytes must be a positive number.')
  const labels = options.labels === undefined ? null : toLabels(options.labels, 'buildMonitor()')
  const classes = classesOf(model)
  const m = await measurementOf(model, data, options)
  const sites = monitoredSites(m, options.sites)
  if (by === 'prediction' && m.predictions === undefined) {
    throw new InstrumentError('INVALID_INPUT', "by: 'prediction' needs a measurement made with { retain: true, predictions: true }.")
  }
  const assigned = by === 'label' ? labels! : m.predictions!
  if (assigned.length !== m.examples) throw new InstrumentError('INVALID_INPUT', `buildMonitor() got ${assigned.length} labels for ${m.examples} examples.`)
  const bad = assigned.findIndex((c) => c < 0 || c >= classes)
  if (bad >= 0) throw new InstrumentError('INVALID_INPUT', `Class ${assigned[bad]} of example ${bad} is outside the model's ${classes} classes.`)
  const missing = Array.from({ length: classes }, (_, c) => c).filter((c) => !assigned.includes(c))
  if (missing.length > 0) {
    throw new InstrumentError(
      'INVALID_INPUT',
      `Class${missing.length > 1 ? 'es' : ''} ${missing.join(', ')} ha${missing.length > 1 ? 've' : 's'} no training patterns ` +
        `(by ${by}). Give examples of every class${by === 'prediction' ? ", or build by: 'label'" : ''}.`,
    )
  }
  const budget = { left: maxBytes }
  const sets = new Map<string, Map<number, PatternSet>>()
  for (const site of sites) {
    const builder = new SetBuilder(site.bits, budget)
    examplePatterns(site, m.patterns[site.id]!, m.examples).forEach((p, e) => builder.add(assigned[e]!, p))
    sets.set(site.id, builder.sets())
  }
  return new Monitor(model, sites, by, classes, sets, null)
}
