/* The Timeline: measurements of one training run, compared against first, previous and final. */
import { type Comparison, compare } from '../compare/compare.js'
import {
  HISTOGRAM_COMPARISON,
  type HistogramComparison,
  type HistogramComparisonOptions,
  compareHistograms,
} from '../compare/histograms.js'
import type { Measurement, RetainedPatterns } from '../compare/measurement.js'
import { InstrumentError } from '../errors.js'
import { getOwn, putOwn } from '../keys.js'
import { type Declaration, check, declareOptions, number, oneOf, string } from '../options.js'
import type { PatternHistogramState } from '../reducers/pattern-histogram.js'
import { deserializeText as deserialize, serialize } from '../serialize/json.js'
import { type UnitDeath, type UnitRow, unitDeaths, unitRows } from './units.js'
import { JUPYTER_DISPLAY, type MimeBundle, summaryHeatmap, summaryTable } from '../draw/notebook.js'
import { escapeHtml } from '../draw/rules.js'
import { summarize } from '../metrics/summary.js'

/** Where in training a measurement was taken. */
export interface TrainingPoint {
  /** Training batches (optimizer steps) done before the measurement. */
  step: number
  /** Epochs done, fractional (step / steps per epoch), when known. */
  epoch?: number
  /** Training examples seen. */
  examples?: number
  /** A name for the point, e.g. `'init'` or `'final'`. */
  label?: string
}

/** One measurement in a timeline. */
export interface TimelineEntry<R = Record<string, Record<string, unknown>>> extends TrainingPoint {
  /** Per site id, the reducers' results. */
  results: R
  /** Per site id, the exact pattern histogram, kept for comparisons (unless `keep: 'results'`). */
  histograms?: Record<string, PatternHistogramState>
  /** Per site id, every packed pattern (only with `keep: 'patterns'`). */
  patterns?: Record<string, RetainedPatterns>
  /** Input fingerprint of the measurement, when it was retained. */
  inputs?: string
  /** With the schedule's `localComplexity` option: the probe inputs' local complexity (see `localComplexity`). */
  localComplexity?: { mean: number; perInput: Float64Array; radius: number; lines: number }
}

/** Options of {@link Timeline}. */
export interface TimelineOptions {
  /**
   * What each entry keeps beyond results: `'histograms'` (default; enough for Jaccard
   * comparisons, O(distinct patterns) per site), `'patterns'` (also every packed row, for
   * flip rates), or `'results'` (numbers only, no comparisons).
   */
  keep?: 'results' | 'histograms' | 'patterns'
}

/** A reference for comparisons: the first, the previous, the last entry, or an entry index. */
export type Reference = 'first' | 'previous' | 'final' | number

/** Options of the series a timeline gives: the references to compare against, and the histogram threshold. */
export type SeriesOptions = { against?: Reference[] } & HistogramComparisonOptions

const isReference = (r: unknown): boolean =>
  r === 'first' || r === 'previous' || r === 'final' || (Number.isInteger(r) && (r as number) >= 0)
const references = /* @__PURE__ */ check<Reference[]>(
  "an array of references ('first', 'previous', 'final' or an entry index)",
  (a) => Array.isArray(a) && a.every(isReference),
)

const TIMELINE_OPTIONS = /* @__PURE__ */ declareOptions(
  'new Timeline(options)',
  () =>
    ({
      keep: { check: oneOf(['results', 'histograms', 'patterns']), default: 'histograms' },
    }) satisfies Declaration<TimelineOptions>,
)
const POINT = /* @__PURE__ */ declareOptions(
  'Timeline.add(point, ...)',
  () =>
    ({
      step: { check: number() },
      epoch: { check: number() },
      examples: { check: number() },
      label: { check: string },
    }) satisfies Declaration<TrainingPoint>,
  { required: true },
)
const SERIES_OPTIONS = /* @__PURE__ */ declareOptions(
  'timeline.series(options)',
  () =>
    ({
      against: { check: references },
      ...HISTOGRAM_COMPARISON.fields,
    }) satisfies Declaration<SeriesOptions>,
)
const UNIT_SERIES_OPTIONS = /* @__PURE__ */ declareOptions(
  'timeline.unitSeries(options)',
  () =>
    ({
      against: { check: references },
    }) satisfies Declaration<{ against?: Reference[] }>,
)

/** One scalar of a timeline, as in a long-format table. */
export interface SeriesRow {
  step: number
  epoch: number | null
  examples: number | null
  label: string | null
  site: string
  metric: string
  value: number
}

const isMeasurement = (x: unknown): x is Measurement<Record<string, Record<string, unknown>>> =>
  typeof x === 'object' && x !== null && (x as Measurement<unknown>).kind === 'measurement'

/** Numbers of a (nested) result object, flattened to `a.b` names; typed arrays and nulls are skipped. */
function scalars(prefix: string, value: unknown, out: [string, number][]): void {
  if (typeof value === 'number') out.push([prefix, value])
  else if (typeof value === 'boolean') out.push([prefix, value ? 1 : 0])
  else if (typeof value === 'object' && value !== null && !ArrayBuffer.isView(value) && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) scalars(prefix === '' ? k : `${prefix}.${k}`, v, out)
  }
}

/**
 * The series of measurements of one training run, with comparisons against the first,
 * previous or final measurement and exports for plotting. Plain data throughout; memory
 * per entry is what `keep` says.
 *
 * @example
 * ```ts
 * const timeline = new Timeline()
 * timeline.add({ step: 0 }, await probe.measurePatterns(probeSet))
 * await model.fit(xs, ys, { epochs: 1 })
 * timeline.add({ step: 100, epoch: 1 }, await probe.measurePatterns(probeSet))
 * timeline.compare('first')[1]!['dense_1']!.weightedJaccard
 * writeFileSync('series.csv', timeline.toCSV({ against: ['first', 'final'] }))
 * ```
 */
/** Marks timelines of every copy of the library. */
const TIMELINE_BRAND = Symbol.for('relu-patterns.Timeline')

export class Timeline<R extends Record<string, Record<string, unknown>> = Record<string, Record<string, unknown>>> {
  readonly keep: 'results' | 'histograms' | 'patterns'
  readonly entries: TimelineEntry<R>[] = []

  /** True for a timeline made by any copy of this class (an ES module and a CommonJS copy of the library each have one). */
  static [Symbol.hasInstance](x: unknown): boolean {
    return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[TIMELINE_BRAND] === true
  }

  constructor(options: TimelineOptions = {}) {
    Object.defineProperty(this, TIMELINE_BRAND, { value: true })
    // an own property, not a computed method: a class with a computed key cannot be left out of bundles that do not use it
    Object.defineProperty(this, JUPYTER_DISPLAY, { value: () => this.display() })
    this.keep = TIMELINE_OPTIONS.parse(options).keep
  }

  /**
   * How a notebook shows the timeline: the last measurement's summary and the normalised
   * pattern entropy by site over training. Deno's Jupyter kernel calls it through
   * `timeline[Symbol.for('Jupyter.display')]()`.
   */
  display(): MimeBundle {
    const n = this.entries.length
    const text = `Timeline: ${n} measurement${n === 1 ? '' : 's'}${n === 0 ? '' : `, steps ${this.entries[0]!.step} to ${this.entries[n - 1]!.step}`}`
    if (n === 0) return { 'text/plain': text, 'text/html': `<p>${escapeHtml(text)}.</p>` }
    const columns = this.entries.map((e) => ({
      label: e.epoch === undefined ? `step ${e.step}` : `epoch ${e.epoch.toFixed(2)}`,
      rows: summarize(e.results),
    }))
    return {
      'text/plain': text,
      'text/html': `<div><p>${escapeHtml(text)}.</p><h4>At the last measurement</h4>${summaryTable(columns[n - 1]!.rows)}<h4>Over training</h4>${summaryHeatmap(columns, 'normalizedEntropy')}</div>`,
    }
  }

  /**
   * Appends a measurement (from `measurePatterns(x)`) or bare results taken at
   * `point`. Bare results allow no comparisons.
   */
  add(point: TrainingPoint, measured: Measurement<R> | R): TimelineEntry<R> {
    if (POINT.parse(point).step === undefined)
      throw new InstrumentError('INVALID_OPTION', 'Timeline.add(point, ...): point.step is required, a finite number.')
    const last = this.entries[this.entries.length - 1]
    if (last !== undefined && point.step < last.step) {
      throw new InstrumentError(
        'INVALID_OPTION',
        `Timeline.add(point, ...): step ${point.step} is before the last entry's, ${last.step}; entries go in training order.`,
      )
    }
    const entry: TimelineEntry<R> = { ...point, results: isMeasurement(measured) ? measured.results : measured }
    if (isMeasurement(measured)) {
      entry.inputs = measured.inputs
      if (this.keep !== 'results') {
        entry.histograms = Object.fromEntries(Object.entries(measured.patterns).map(([id, p]) => [id, p.histogram]))
      }
      if (this.keep === 'patterns') entry.patterns = measured.patterns
    }
    this.entries.push(entry)
    return entry
  }

  private referenceOf(reference: Reference, i: number): TimelineEntry<R> | undefined {
    if (reference === 'first') return this.entries[0]
    if (reference === 'final') return this.entries[this.entries.length - 1]
    if (reference === 'previous') return this.entries[i - 1]
    return this.entries[reference]
  }

  /**
   * For every entry, per site, how it compares with the reference (undefined where there
   * is none, e.g. 'previous' of the first entry). With `keep: 'patterns'` this includes
   * flip rates; otherwise histogram similarity only.
   */
  compare(
    reference: Reference,
    options: HistogramComparisonOptions = {},
  ): (Record<string, Comparison | HistogramComparison> | undefined)[] {
    HISTOGRAM_COMPARISON.parse(options, 'timeline.compare(reference, options)')
    if (!['first', 'final', 'previous'].includes(reference as string) && !(Number.isInteger(reference) && (reference as number) >= 0)) {
      throw new InstrumentError(
        'INVALID_OPTION',
        `A reference is 'first', 'previous', 'final' or an entry index, not ${JSON.stringify(reference)}.`,
      )
    }
    if (this.keep === 'results') {
      throw new InstrumentError('INVALID_OPTION', "This timeline keeps results only (keep: 'results'); keep histograms to compare entries.")
    }
    return this.entries.map((_, i) => this.comparison(i, reference, options))
  }

  /**
   * The comparison of entry `index` with a reference, as `compare(reference)[index]` holds it,
   * computed for that entry alone (a live view compares each new entry as it lands).
   *
   * @example
   * ```ts
   * const last = timeline.entries.length - 1
   * timeline.compareEntry(last, 'previous')?.['dense_1']?.weightedJaccard
   * ```
   */
  compareEntry(
    index: number,
    reference: Reference,
    options: HistogramComparisonOptions = {},
  ): Record<string, Comparison | HistogramComparison> | undefined {
    HISTOGRAM_COMPARISON.parse(options, 'timeline.compareEntry(index, reference, options)')
    if (!Number.isInteger(index) || index < 0 || index >= this.entries.length) {
      throw new InstrumentError(
        'INVALID_OPTION',
        `timeline.compareEntry: index must be an entry index from 0 to ${this.entries.length - 1}, not ${String(index)}.`,
      )
    }
    if (!['first', 'final', 'previous'].includes(reference as string) && !(Number.isInteger(reference) && (reference as number) >= 0)) {
      throw new InstrumentError(
        'INVALID_OPTION',
        `A reference is 'first', 'previous', 'final' or an entry index, not ${JSON.stringify(reference)}.`,
      )
    }
    if (this.keep === 'results') {
      throw new InstrumentError('INVALID_OPTION', "This timeline keeps results only (keep: 'results'); keep histograms to compare entries.")
    }
    return this.comparison(index, reference, options)
  }

  private comparison(
    i: number,
    reference: Reference,
    options: HistogramComparisonOptions,
  ): Record<string, Comparison | HistogramComparison> | undefined {
    const entry = this.entries[i]!
    const ref = this.referenceOf(reference, i)
    if (ref === undefined || entry.histograms === undefined || ref.histograms === undefined) return undefined
    if (entry.patterns !== undefined && ref.patterns !== undefined) {
      const wrap = (e: TimelineEntry<R>): Measurement<R> => ({
        kind: 'measurement',
        examples: -1,
        inputs: e.inputs ?? '',
        results: e.results,
        patterns: e.patterns!,
      })
      return compare(wrap(ref), wrap(entry), options)
    }
    const out: Record<string, HistogramComparison> = {}
    for (const [id, h] of Object.entries(entry.histograms)) {
      const rh = getOwn(ref.histograms, id)
      if (rh !== undefined) putOwn(out, id, compareHistograms(rh, h, options))
    }
    return out
  }

  /**
   * Every scalar as one row per measurement x site x metric: reducer results
   * (`patterns.normalizedEntropy`, `units.dead`, ...) and, for each reference in
   * `against`, the comparison (`vsFirst.weightedJaccard`, ...).
   */
  series(options: SeriesOptions = {}): SeriesRow[] {
    SERIES_OPTIONS.parse(options, 'timeline.series(options)')
    const rows: SeriesRow[] = []
    const only = options.threshold === undefined ? {} : { threshold: options.threshold }
    const comparisons = (options.against ?? []).map((ref) => [ref, this.compare(ref, only)] as const)
    this.entries.forEach((entry, i) => {
      const base = { step: entry.step, epoch: entry.epoch ?? null, examples: entry.examples ?? null, label: entry.label ?? null }
      for (const [site, result] of Object.entries(entry.results)) {
        const values: [string, number][] = []
        scalars('', result, values)
        for (const [ref, list] of comparisons) {
          const c = list[i]?.[site]
          const name = typeof ref === 'number' ? `vsEntry${ref}` : `vs${ref[0]!.toUpperCase()}${ref.slice(1)}`
          if (c !== undefined) scalars(name, c, values)
        }
        for (const [metric, value] of values) rows.push({ ...base, site, metric, value })
      }
      if (entry.localComplexity !== undefined)
        rows.push({ ...base, site: 'network', metric: 'localComplexity', value: entry.localComplexity.mean })
    })
    return rows
  }

  /** The series as CSV with a header row (`step,epoch,examples,label,site,metric,value`). */
  toCSV(options: SeriesOptions = {}): string {
    SERIES_OPTIONS.parse(options, 'timeline.toCSV(options)')
    const cell = (v: string | number | null): string => {
      if (v === null) return ''
      const s = String(v)
      return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
    }
    const lines = ['step,epoch,examples,label,site,metric,value']
    for (const r of this.series(options)) {
      lines.push([r.step, r.epoch, r.examples, r.label, r.site, r.metric, r.value].map(cell).join(','))
    }
    return `${lines.join('\n')}\n`
  }

  /** The series as JSON lines, one object per row. */
  toJSONLines(options: SeriesOptions = {}): string {
    SERIES_OPTIONS.parse(options, 'timeline.toJSONLines(options)')
    return this.series(options)
      .map((r) => `${JSON.stringify(r)}\n`)
      .join('')
  }

  /**
   * Every per-unit array of the results (`units.frequency`, `units.entropy`, ...) and,
   * for each reference in `against`, each unit's flip rate against it
   * (`vsFirst.unitFlipRate`, `vsFinal.unitFlipRate`; needs `keep: 'patterns'`): one row
   * per entry, site, unit and metric. `series()` holds the scalars; this, the arrays.
   *
   * @example
   * ```ts
   * const rows = timeline.unitSeries({ against: ['first', 'final'] })
   * ```
   */
  unitSeries(options: { against?: Reference[] } = {}): UnitRow[] {
    UNIT_SERIES_OPTIONS.parse(options, 'timeline.unitSeries(options)')
    return unitRows(this as never, options.against ?? [])
  }

  /** {@link Timeline.unitSeries} as CSV (`step,epoch,examples,label,site,unit,metric,value`). */
  toUnitCSV(options: { against?: Reference[] } = {}): string {
    UNIT_SERIES_OPTIONS.parse(options, 'timeline.toUnitCSV(options)')
    const lines = ['step,epoch,examples,label,site,unit,metric,value']
    const cell = (v: string | number | null): string =>
      v === null ? '' : /[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v)
    for (const r of unitRows(this as never, options.against ?? []))
      lines.push([r.step, r.epoch, r.examples, r.label, r.site, r.unit, r.metric, r.value].map(cell).join(','))
    return `${lines.join('\n')}\n`
  }

  /**
   * The units dead at the last entry (never on, by `unitStats`) with the step and epoch
   * from which they stayed dead.
   */
  unitDeaths(): UnitDeath[] {
    return unitDeaths(this as never)
  }

  /** The whole timeline as text that {@link Timeline.parse} reads back exactly. */
  stringify(): string {
    return serialize({ kind: 'timeline', keep: this.keep, entries: this.entries })
  }

  /** Reads what {@link Timeline.stringify} wrote. */
  static parse<R extends Record<string, Record<string, unknown>>>(text: string): Timeline<R> {
    const data = deserialize(text) as { kind?: string; keep?: TimelineOptions['keep']; entries?: TimelineEntry<R>[] }
    if (data?.kind !== 'timeline' || !Array.isArray(data.entries)) {
      throw new InstrumentError('CORRUPT_DATA', 'Timeline.parse(): the text is not a stringified timeline.')
    }
    if (data.keep !== undefined && !['results', 'histograms', 'patterns'].includes(data.keep))
      throw new InstrumentError(
        'CORRUPT_DATA',
        `Timeline.parse(): keep is ${JSON.stringify(data.keep)}. The text is damaged or was not written by Timeline.stringify().`,
      )
    const t = new Timeline<R>(data.keep === undefined ? {} : { keep: data.keep })
    data.entries.forEach((entry, i) => {
      checkEntry(entry, i)
      // entries are appended as training goes: a step that goes back is not a timeline written by stringify
      const before = data.entries![i - 1]
      if (before !== undefined && entry.step < before.step) {
        throw new InstrumentError(
          'CORRUPT_DATA',
          `Timeline.parse(): entry ${i} is at step ${entry.step}, before entry ${i - 1} at step ${before.step}. The text is damaged or was not written by Timeline.stringify().`,
        )
      }
    })
    t.entries.push(...data.entries)
    return t
  }
}

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x)

/** Throws `CORRUPT_DATA` unless a parsed entry has the shape the timeline's methods rely on. */
function checkEntry(entry: unknown, i: number): void {
  const bad = (what: string): never => {
    throw new InstrumentError(
      'CORRUPT_DATA',
      `Timeline.parse(): entry ${i} ${what}. The text is damaged or was not written by Timeline.stringify().`,
    )
  }
  if (!isRecord(entry)) {
    bad('is not an object')
    return
  }
  if (typeof entry['step'] !== 'number' || !Number.isFinite(entry['step'])) bad('has no numeric step')
  const results = entry['results']
  if (!isRecord(results) || !Object.values(results).every(isRecord)) bad('has no results by site')
  for (const key of ['epoch', 'examples'] as const) {
    if (entry[key] !== undefined && typeof entry[key] !== 'number') bad(`has a ${key} that is not a number`)
  }
  if (entry['label'] !== undefined && typeof entry['label'] !== 'string') bad('has a label that is not a string')
  const histograms = entry['histograms']
  if (histograms !== undefined && (!isRecord(histograms) || !Object.values(histograms).every(isRecord))) bad('has malformed histograms')
  const patterns = entry['patterns']
  if (patterns !== undefined && (!isRecord(patterns) || !Object.values(patterns).every(isRecord))) bad('has malformed patterns')
  const lc = entry['localComplexity']
  if (
    lc !== undefined &&
    (!isRecord(lc) || !['mean', 'radius', 'lines'].every((k) => typeof lc[k] === 'number') || !(lc['perInput'] instanceof Float64Array))
  ) {
    bad('has a malformed localComplexity')
  }
}
