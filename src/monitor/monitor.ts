/* The Monitor: checks examples against the known patterns of their class, calibrates, merges. */
import type { RetainedPatterns } from '../compare/measurement.js'
import { InstrumentError } from '../errors.js'
import { MEASURE_OPTIONS, type MeasureInput, outputNames } from '../instrument/index.js'
import { putOwn } from '../keys.js'
import { type Declaration, check, declareOptions } from '../options.js'
import { attachMonitor } from './attach.js'
import { type MonitorData, fromData, toData } from './monitor-data.js'
import { type MonitoredSite, type PatternSet, examplePatterns, indexBytes, nearestDistance, unionSets } from './pattern-sets.js'
import { type MonitorModel, assertModel, declaredClasses, modelSites, withProbe } from './probes.js'
import { JUPYTER_DISPLAY, type MimeBundle } from '../draw/notebook.js'
import { escapeHtml } from '../draw/rules.js'

const CHECK_OPTIONS = /* @__PURE__ */ declareOptions(
  'monitor.check(x, options)',
  () =>
    ({
      batchSize: MEASURE_OPTIONS.fields.batchSize,
    }) satisfies Declaration<{ batchSize?: number }>,
)
const CALIBRATE_OPTIONS = /* @__PURE__ */ declareOptions(
  'monitor.calibrate(x, options)',
  () =>
    ({
      falseAlarmRate: { check: check('a number in [0, 1)', (r) => typeof r === 'number' && r >= 0 && r < 1) },
      ...CHECK_OPTIONS.fields,
    }) satisfies Declaration<{ falseAlarmRate: number; batchSize?: number }>,
  { required: true },
)

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
    private readonly model: MonitorModel,
    readonly sites: readonly MonitoredSite[],
    readonly by: 'label' | 'prediction',
    readonly classes: number,
    private readonly sets: ReadonlyMap<string, ReadonlyMap<number, PatternSet>>,
    threshold: number | null,
    /** The index of the model output that gives the class. */
    readonly output = 0,
  ) {
    this.threshold = threshold
    // an own property, not a computed method: a class with a computed key cannot be left out of bundles that do not use it
    Object.defineProperty(this, JUPYTER_DISPLAY, { value: () => this.display() })
  }

  /** How a notebook shows the monitor: its sites, classes, patterns and threshold (Deno's Jupyter kernel calls it through `Symbol.for('Jupyter.display')`). */
  display(): MimeBundle {
    const text = `Monitor: ${this.sites.length} site${this.sites.length === 1 ? '' : 's'}, ${this.classes} classes by ${this.by}, ${this.patterns} distinct patterns, threshold ${this.threshold ?? 'not calibrated'}`
    const rows = this.sites
      .map((s) => {
        let n = 0
        for (const set of this.sets.get(s.id)?.values() ?? []) n += set.rows
        return `<tr><td>${escapeHtml(s.id)}</td><td>${s.bits}</td><td>${n}</td></tr>`
      })
      .join('')
    return {
      'text/plain': text,
      'text/html': `<div><p>${escapeHtml(text)}.</p><table><thead><tr><th>site</th><th>bits per example</th><th>distinct patterns</th></tr></thead><tbody>${rows}</tbody></table></div>`,
    }
  }

  /** Distinct patterns held, over all sites and classes. */
  get patterns(): number {
    let n = 0
    for (const byClass of this.sets.values()) for (const set of byClass.values()) n += set.rows
    return n
  }

  /**
   * Bytes held: the patterns, plus the indexes built so far (a set of 2048 or more
   * patterns, and at least 256 per 16 bits, is indexed on its first search: 256 KiB plus 4
   * bytes per pattern for every 16 bits).
   */
  get bytes(): number {
    let n = 0
    for (const byClass of this.sets.values()) for (const set of byClass.values()) n += set.words.byteLength + indexBytes(set)
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
    CHECK_OPTIONS.parse(options)
    const ids = this.sites.map((s) => s.id)
    const batch = options.batchSize === undefined ? {} : { batchSize: options.batchSize }
    const m = await withProbe(this.model, ids, (probe) => probe.measurePatterns(x, { predictions: true, output: this.output, ...batch }))
    if (m.examples > 0 && m.classes !== this.classes)
      throw new InstrumentError(
        'MODEL_MISMATCH',
        `The model's output ${this.output} has ${m.classes} classes; the monitor has ${this.classes}.`,
      )
    return this.checkPatterns(m.patterns, m.predictions!)
  }

  /** Checks examples from their retained patterns and assigned classes (what `check` and `attach` do after the pass). */
  checkPatterns(patterns: Record<string, RetainedPatterns>, classes: Int32Array): ExampleCheck[] {
    if (typeof patterns !== 'object' || patterns === null || !(classes instanceof Int32Array)) {
      throw new InstrumentError(
        'INVALID_INPUT',
        'checkPatterns(patterns, classes) takes the patterns of a retained measurement and an Int32Array of classes.',
      )
    }
    const examples = classes.length
    const outside = classes.findIndex((c) => !(c >= 0 && c < this.classes))
    if (outside >= 0)
      throw new InstrumentError(
        'MODEL_MISMATCH',
        `Example ${outside} is of class ${classes[outside]}; the monitor knows classes 0 to ${this.classes - 1}. Check with the model and output it was built for.`,
      )
    const perSite = this.sites.map((site) => {
      const retained = Object.hasOwn(patterns, site.id) ? patterns[site.id] : undefined
      if (retained === undefined)
        throw new InstrumentError('MODEL_MISMATCH', `No patterns for monitored site "${site.id}".`, { site: site.id })
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
        putOwn(sites, site.id, { seen: distance === 0, distance })
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
  async calibrate(
    x: MeasureInput,
    options: { falseAlarmRate: number; batchSize?: number },
  ): Promise<{ threshold: number; falseAlarms: number }> {
    const rate = CALIBRATE_OPTIONS.parse(options).falseAlarmRate
    if (rate === undefined)
      throw new InstrumentError('INVALID_OPTION', 'monitor.calibrate(x, options): falseAlarmRate is required, a number in [0, 1).')
    const checks = await this.check(x, options.batchSize === undefined ? {} : { batchSize: options.batchSize })
    if (checks.length === 0) throw new InstrumentError('INVALID_INPUT', 'calibrate() needs held-out examples; it got none.')
    const scores = checks.map((c) => c.score).sort((a, b) => a - b)
    // the 1e-9 keeps 0.58 * 100 = 57.999... from losing an allowed alarm to rounding
    const allowed = Math.floor(rate * scores.length + 1e-9)
    const threshold = scores[scores.length - 1 - allowed]!
    this.threshold = threshold
    return { threshold, falseAlarms: scores.filter((s) => s > threshold).length / scores.length }
  }

  /**
   * Checks the inputs of the application's own `model.predict` calls, in the same forward
   * pass: `predict` returns what it returned before, and `onVerdict` receives the checks
   * of its examples (after any asynchronous reads). Returns the undo (idempotent); several
   * monitors may be attached at once and detached in any order. Exceptions thrown by
   * `onVerdict` go to `reportError` where the runtime has it (else `console.error`), never to the caller of
   * `predict`. The checked calls are a pass of their own: a probe of the model does not
   * add them to its training stream.
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
    return attachMonitor(this.model, {
      ids: this.sites.map((s) => s.id),
      output: this.output,
      classes: this.classes,
      check: (patterns, classes) => this.checkPatterns(patterns, classes),
      onVerdict: onVerdict as (checks: never) => void,
    })
  }

  /** A monitor holding the patterns of both (built on shards of the same data, say); it is not calibrated. */
  merge(other: Monitor): Monitor {
    const same =
      other instanceof Monitor &&
      other.by === this.by &&
      other.classes === this.classes &&
      other.output === this.output &&
      other.sites.length === this.sites.length &&
      other.sites.every((s, i) => JSON.stringify(s) === JSON.stringify(this.sites[i]))
    if (!same) throw new InstrumentError('MODEL_MISMATCH', 'Merge monitors built the same way: same sites, classes, output and `by`.')
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
    return new Monitor(this.model, this.sites, this.by, this.classes, sets, null, this.output)
  }

  /** The monitor as text (patterns, classes, sites, threshold) that {@link Monitor.parse} reads. */
  stringify(): string {
    return toData(this.sites, this.by, this.classes, this.sets, this.threshold, this.output)
  }

  /**
   * Reads a monitor written by `stringify`, bound to `model`. Sites are matched by id,
   * that is by layer names: every site the monitor watches must be a site of `model` with
   * the same id, units and positions. The same architecture built again in one process
   * gets new layer names (`dense_1` becomes `dense_5`) and is `MODEL_MISMATCH`: name the
   * layers, or load the saved model. Damaged text is `CORRUPT_DATA`.
   *
   * @example
   * ```ts
   * const monitor = Monitor.parse(readFileSync('monitor.json', 'utf8'), model)
   * ```
   */
  static parse(text: string, model: MonitorModel): Monitor {
    const data: MonitorData = fromData(text)
    assertModel(model, 'Monitor.parse(text, model)')
    const sites = modelSites(model)
    for (const s of data.sites) {
      const site = sites.find((t) => t.id === s.id)
      const fits = site !== undefined && site.units === s.units && (site.positions === null || site.positions === s.rowsPerExample)
      if (!fits) {
        throw new InstrumentError(
          'MODEL_MISMATCH',
          `The monitor watches site "${s.id}" (${s.rowsPerExample} positions of ${s.units} units), which this model does not have.`,
          { site: s.id },
        )
      }
    }
    const outputs = outputNames(model).length
    if (data.output >= Math.max(1, outputs))
      throw new InstrumentError('MODEL_MISMATCH', `The monitor reads output ${data.output}; this model has ${outputs} output(s).`)
    // a graph model rarely declares its classes: then its first check compares them
    const classes = declaredClasses(model, data.output)
    if (classes !== null && classes !== data.classes)
      throw new InstrumentError(
        'MODEL_MISMATCH',
        `The monitor has ${data.classes} classes; this model's output ${data.output} has ${classes}.`,
      )
    return new Monitor(model, data.sites, data.by, data.classes, data.sets, data.threshold, data.output)
  }
}
