/* The relu-patterns/vega entry: Vega-Lite specifications of timelines and region maps, from the drawing layer. */
/*
 * Vega-Lite specifications of timelines and region maps: figures from the shared drawing
 * layer as plain objects, no dependency. Render them with vega-lite + vega (Node:
 * `vl.compile(spec).spec` then `new vega.View(vega.parse(...), { renderer: 'none' }).toSVG()`),
 * tfjs-vis, or any Vega-Lite viewer.
 */
import { InstrumentError } from '../errors.js'
import { closest, getOwn } from '../keys.js'
import { type Declaration, check, declareOptions, number, oneOf, string, strings } from '../options.js'
import type { RegionMap } from '../regions/map.js'
import { regionFigure } from '../regions/picture.js'
import { metricTitle } from '../metrics/catalogue.js'
import type { HeatmapFigure } from '../draw/figure.js'
import { type VegaLiteSpec, vegaLite } from '../draw/vega.js'
import type { Comparison } from '../compare/compare.js'
import type { Reference, SeriesRow, Timeline } from '../timeline/timeline.js'

export type { VegaLiteSpec }
export { toSVG, type ToSvgOptions, type VegaLiteModule, type VegaModule } from './render.js'

type ScalarKeys<T> = unknown extends T
  ? string
  : { [K in keyof T & string]: T[K] extends number | boolean | null ? K : never }[keyof T & string]
type SiteMetrics<S> = unknown extends S ? string : { [K in keyof S & string]: `${K}.${ScalarKeys<S[K]>}` }[keyof S & string]

/**
 * The scalar metrics of a timeline whose results have type `R`: `reducer.field` for every
 * numeric field of every reducer's result, and `vsFirst.`, `vsPrevious.`, `vsFinal.`
 * followed by a numeric field of a comparison. A name outside it is a type error (and,
 * for untyped timelines, an `INVALID_OPTION` at run time).
 */
export type Metric<R> =
  | (R extends Record<string, infer S> ? SiteMetrics<S> : string)
  | `${'vsFirst' | 'vsPrevious' | 'vsFinal' | `vsEntry${number}`}.${ScalarKeys<Comparison>}`
  | 'localComplexity'

/** Which training coordinate goes on the x axis. */
export type XAxis = 'step' | 'epoch' | 'examples'

/** Options of {@link unitHeatmap}. */
export interface UnitChartOptions extends Omit<ChartOptions, 'sites' | 'against'> {
  /** The site whose units are drawn. */
  site: string
  /** A per-unit array of a reducer's result, as `reducer.field` (default `'units.frequency'`). */
  field?: string
  /** The colour scale's domain: `[low, high]` (default `[0, 1]`), or `'data'` for the data's own range. */
  domain?: [number, number] | 'data'
}

/** Options shared by the chart builders. */
export interface ChartOptions {
  /** x axis (default `'examples'` when known, else `'step'`). */
  x?: XAxis
  /** Title (default: the metric). */
  title?: string
  /** Sites to show, in order (default all, in site order). */
  sites?: readonly string[]
  /** Comparisons to compute, when the metric is `vsFirst.*`, `vsFinal.*`, ... (default: inferred from the metric). */
  against?: Reference[]
  /** Width and height in pixels (defaults 480 and 20 per site for heatmaps, 240 for lines). */
  width?: number
  height?: number
  /** Colour scheme (default `'viridis'`). */
  scheme?: string
}

const REFS: Record<string, Reference> = { vsFirst: 'first', vsPrevious: 'previous', vsFinal: 'final' }
const isReference = (r: unknown): boolean =>
  r === 'first' || r === 'previous' || r === 'final' || (Number.isInteger(r) && (r as number) >= 0)
const size = /* @__PURE__ */ number(0, Infinity, true)

/** The declaration of {@link ChartOptions}, shared by every chart of a timeline. */
const CHART = /* @__PURE__ */ declareOptions(
  'chart(timeline, options)',
  () =>
    ({
      x: { check: oneOf(['step', 'epoch', 'examples']) },
      title: { check: string },
      sites: { check: strings },
      against: {
        check: check<Reference[]>(
          "an array of references ('first', 'previous', 'final' or an entry index)",
          (a) => Array.isArray(a) && a.every(isReference),
        ),
      },
      width: { check: size },
      height: { check: size },
      scheme: { check: string },
    }) satisfies Declaration<ChartOptions>,
)
const METRIC_CHART = /* @__PURE__ */ declareOptions(
  'chart(timeline, options)',
  () => ({ ...CHART.fields, metric: { check: string } }) satisfies Declaration<ChartOptions & { metric: string }>,
  { required: true },
)
const UNIT_CHART = /* @__PURE__ */ declareOptions(
  'unitHeatmap(timeline, options)',
  () =>
    ({
      x: CHART.fields.x,
      title: CHART.fields.title,
      width: CHART.fields.width,
      height: CHART.fields.height,
      scheme: CHART.fields.scheme,
      site: { check: string },
      field: { check: string, default: 'units.frequency' },
      domain: {
        check: check<[number, number] | 'data'>(
          "[low, high] with low < high, or 'data'",
          (d) => d === 'data' || (Array.isArray(d) && d.length === 2 && d.every(Number.isFinite) && d[0] < d[1]),
        ),
        default: [0, 1],
      },
    }) satisfies Declaration<UnitChartOptions>,
  { required: true },
)
const TFVIS = /* @__PURE__ */ declareOptions(
  'tfvisHeatmap(timeline, options)',
  () =>
    ({ x: CHART.fields.x, sites: CHART.fields.sites, against: CHART.fields.against, metric: { check: string } }) satisfies Declaration<
      Pick<ChartOptions, 'x' | 'sites' | 'against'> & { metric: string }
    >,
  { required: true },
)
const SIDE_BY_SIDE = /* @__PURE__ */ declareOptions(
  'sideBySide(specs, options)',
  () =>
    ({
      titles: { check: strings },
      title: { check: string },
    }) satisfies Declaration<{ titles?: readonly string[]; title?: string }>,
)
const REGION_SPEC = /* @__PURE__ */ declareOptions(
  'regionMapSpec(map, options)',
  () =>
    ({
      title: CHART.fields.title,
      width: CHART.fields.width,
      height: CHART.fields.height,
    }) satisfies Declaration<{ title?: string; width?: number; height?: number }>,
)

/** Comparison metrics that need every pattern of both entries (`keep: 'patterns'`). */
const ROW_METRICS = new Set(['flipRate', 'rowsChanged', 'rowsChangedShare'])

function rowsFor(
  timeline: Timeline<Record<string, Record<string, unknown>>>,
  metric: string,
  options: ChartOptions,
  where: string,
): { rows: SeriesRow[]; sites: string[]; x: XAxis } {
  if (typeof (timeline as Partial<Timeline> | null)?.series !== 'function' || !Array.isArray(timeline.entries))
    throw new InstrumentError('INVALID_INPUT', `${where} takes a Timeline (schedule.timeline).`)
  if (typeof metric !== 'string')
    throw new InstrumentError('INVALID_OPTION', `${where}: metric must be a string such as 'patterns.normalizedEntropy'.`)
  if (timeline.entries.length === 0) throw new InstrumentError('INVALID_INPUT', `${where}: the timeline has no entries yet.`)
  const [prefix = '', field = ''] = metric.split('.')
  const inferred = getOwn(REFS, prefix)
  if (inferred !== undefined && ROW_METRICS.has(field) && timeline.keep !== 'patterns') {
    throw new InstrumentError(
      'INVALID_OPTION',
      `${where}: ${metric} compares every pattern, which this timeline does not keep (keep: '${timeline.keep}'); create it with keep: 'patterns'.`,
    )
  }
  const against = options.against ?? (inferred === undefined ? [] : [inferred])
  const all = timeline.series({ against })
  const known = [...new Set(all.map((r) => r.site))]
  for (const s of options.sites ?? []) {
    if (!known.includes(s))
      throw new InstrumentError('UNKNOWN_SITE', `${where}: the timeline has no site "${s}"; it has ${known.join(', ')}.`, { site: s })
  }
  const order = options.sites ?? known
  const wanted = new Set(order)
  const rows = all.filter((r) => r.metric === metric && wanted.has(r.site))
  if (rows.length === 0) {
    const metrics = [...new Set(all.map((r) => r.metric))]
    const near = closest(metric, metrics)
    throw new InstrumentError(
      'INVALID_OPTION',
      `${where}: the timeline has no metric "${metric}".${near === null ? '' : ` Did you mean "${near}"?`} It has ${metrics.slice(0, 12).join(', ')}${metrics.length > 12 ? ', ...' : ''}.`,
    )
  }
  const x = options.x ?? (rows.every((r) => r.examples !== null) ? 'examples' : 'step')
  return { rows, sites: [...order], x }
}

const xTitle: Record<XAxis, string> = { step: 'training steps', epoch: 'epochs', examples: 'examples seen' }

/** Ordinal time axes: thin out overlapping labels; fractional epochs with two decimals. */
const _axisFor = (x: XAxis): Record<string, unknown> =>
  x === 'epoch' ? { labelOverlap: true, format: '.2f', formatType: 'number', labelAngle: 0 } : { labelOverlap: true }

/**
 * Heatmap of one scalar metric: sites (layers) on y in model order, training on x,
 * colour = value, as in the figures of Hartmann et al. (2021).
 *
 * @example
 * ```ts
 * import { heatmap } from 'relu-patterns/vega'
 * const spec = heatmap(schedule.timeline, { metric: 'vsFinal.weightedJaccard' })
 * ```
 */
export function heatmap<R extends Record<string, Record<string, unknown>>>(
  timeline: Timeline<R>,
  options: ChartOptions & { metric: Metric<R> },
): VegaLiteSpec {
  METRIC_CHART.parse(options, 'heatmap(timeline, options)')
  const { rows, sites, x } = rowsFor(timeline as unknown as Timeline, options.metric, options, 'heatmap(timeline, options)')
  const steps = [...new Set(rows.map((r) => r.step))]
  const at = (r: SeriesRow): number => (x === 'step' ? r.step : x === 'epoch' ? (r.epoch ?? Number.NaN) : (r.examples ?? Number.NaN))
  const columns = steps.map((step) => {
    const r = rows.find((q) => q.step === step)!
    return { at: at(r), to: at(r), label: String(at(r)) }
  })
  const values = new Float64Array(sites.length * steps.length).fill(Number.NaN)
  for (const r of rows) values[sites.indexOf(r.site) * steps.length + steps.indexOf(r.step)] = r.value ?? Number.NaN
  const title = metricTitle(options.metric)
  const figure: HeatmapFigure = {
    kind: 'heatmap',
    title: options.title ?? title,
    rows: { title: null, field: 'site', items: sites.map((id) => ({ id, label: id })), numeric: false },
    columns: { title: xTitle[x], field: x, items: columns, spans: null, format: x === 'epoch' ? 'fraction' : 'integer' },
    values,
    color: { title, domain: 'data', low: 'low', high: 'high' },
    width: options.width ?? 480,
    height: options.height ?? null,
  }
  return vegaLite(figure, options.scheme === undefined ? {} : { scheme: options.scheme })
}

/**
 * One line per site for a scalar metric over training.
 *
 * @example
 * ```ts
 * const spec = lines(schedule.timeline, { metric: 'patterns.normalizedEntropy', x: 'epoch' })
 * ```
 */
export function lines<R extends Record<string, Record<string, unknown>>>(
  timeline: Timeline<R>,
  options: ChartOptions & { metric: Metric<R> },
): VegaLiteSpec {
  METRIC_CHART.parse(options, 'lines(timeline, options)')
  const { rows, sites, x } = rowsFor(timeline as unknown as Timeline, options.metric, options, 'lines(timeline, options)')
  const at = (r: SeriesRow): number => (x === 'step' ? r.step : x === 'epoch' ? (r.epoch ?? Number.NaN) : (r.examples ?? Number.NaN))
  const spec = vegaLite({
    kind: 'lines',
    title: options.title ?? metricTitle(options.metric),
    x: { title: xTitle[x], field: x, items: null },
    y: { title: metricTitle(options.metric), domain: null },
    series: sites.map((site) => ({ name: site, points: rows.filter((r) => r.site === site).map((r) => ({ x: at(r), y: r.value })) })),
    width: options.width ?? 480,
    height: options.height ?? 240,
  })
  return spec
}

/**
 * Per-unit heatmap of one site: units on y, training on a quantitative x axis (each
 * measurement's column reaches the next one), colour = a per-unit array of a reducer
 * result (default `units.frequency`, the share of inputs each unit is on for). Past 64
 * units the unit axis drops per-unit labels and ticks every few units; the colour domain
 * is 0 to 1 unless `domain: 'data'`.
 *
 * @example
 * ```ts
 * const spec = unitHeatmap(schedule.timeline, { site: 'dense_1' })
 * ```
 */
export function unitHeatmap(timeline: Timeline<Record<string, Record<string, unknown>>>, options: UnitChartOptions): VegaLiteSpec {
  const where = 'unitHeatmap(timeline, options)'
  if (typeof (timeline as Partial<Timeline> | null)?.series !== 'function' || !Array.isArray(timeline.entries))
    throw new InstrumentError('INVALID_INPUT', `${where} takes a Timeline (schedule.timeline).`)
  const { field, domain } = UNIT_CHART.parse(options)
  if (options.site === undefined) throw new InstrumentError('INVALID_OPTION', `${where}: site is required, the id of the site to draw.`)
  const [reducer = '', key = ''] = field.split('.')
  if (timeline.entries.length === 0) throw new InstrumentError('INVALID_INPUT', `${where}: the timeline has no entries yet.`)
  const sites = Object.keys(timeline.entries[0]!.results)
  if (!sites.includes(options.site))
    throw new InstrumentError('UNKNOWN_SITE', `${where}: the timeline has no site "${options.site}"; it has ${sites.join(', ')}.`, {
      site: options.site,
    })
  const x = options.x ?? (timeline.entries.every((e) => e.examples !== undefined) ? 'examples' : 'step')
  const at = (e: (typeof timeline.entries)[number]): number =>
    x === 'step' ? e.step : x === 'epoch' ? (e.epoch ?? Number.NaN) : (e.examples ?? Number.NaN)
  const values: Record<string, unknown>[] = []
  let units = 0
  timeline.entries.forEach((e, i) => {
    const arr = (e.results[options.site]?.[reducer] as Record<string, unknown> | undefined)?.[key]
    if (!ArrayBuffer.isView(arr)) return
    const a = arr as unknown as ArrayLike<number>
    const t0 = at(e)
    const next = timeline.entries[i + 1]
    const previous = timeline.entries[i - 1]
    const t1 = next !== undefined ? at(next) : previous !== undefined ? t0 + (t0 - at(previous)) : t0 + 1
    units = Math.max(units, a.length)
    for (let u = 0; u < a.length; u++) values.push({ t0, t1, unit: u, unit1: u + 1, value: a[u] })
  })
  if (values.length === 0) {
    throw new InstrumentError(
      'INVALID_OPTION',
      `${where}: site "${options.site}" has no per-unit array "${field}" (an array field of a reducer result, e.g. units.frequency).`,
    )
  }
  if (values.some((v) => !Number.isFinite(v['t0'] as number)))
    throw new InstrumentError('INVALID_OPTION', `${where}: x: '${x}' is not known for every entry; use x: 'step'.`)
  const columns = timeline.entries.flatMap((e, i) => {
    const t0 = at(e)
    const next = timeline.entries[i + 1]
    const previous = timeline.entries[i - 1]
    const t1 = next !== undefined ? at(next) : previous !== undefined ? t0 + (t0 - at(previous)) : t0 + 1
    return [{ at: t0, to: t1, label: String(t0), entry: i }]
  })
  const grid = new Float64Array(units * columns.length).fill(Number.NaN)
  for (const v of values) grid[(v['unit'] as number) * columns.length + columns.findIndex((c) => c.at === v['t0'])] = v['value'] as number
  const figure: HeatmapFigure = {
    kind: 'heatmap',
    title: options.title ?? `${options.site}: ${field}`,
    rows: {
      title: units > 64 ? `unit (${units})` : 'unit',
      field: 'unit',
      items: Array.from({ length: units }, (_, u) => ({ id: String(u), label: String(u) })),
      numeric: true,
    },
    columns: { title: xTitle[x], field: 't0', items: columns, spans: 't1', format: x === 'epoch' ? 'fraction' : 'integer' },
    values: grid,
    color: {
      title: metricTitle(field),
      domain,
      low: domain === 'data' ? 'lowest' : String(domain[0]),
      high: domain === 'data' ? 'highest' : String(domain[1]),
    },
    width: options.width ?? 480,
    height: options.height ?? Math.min(600, Math.max(80, 3 * units)),
  }
  return vegaLite(figure, options.scheme === undefined ? {} : { scheme: options.scheme })
}

/**
 * The input of tfjs-vis's own heatmap for one metric: `values[i]` is measurement i's
 * column (one value per site, in `yTickLabels` order), the column-major layout
 * `tfvis.render.heatmap` takes by default.
 *
 * @example
 * ```ts
 * import * as tfvis from '@tensorflow/tfjs-vis'
 * tfvis.render.heatmap({ name: 'entropy' }, tfvisHeatmap(schedule.timeline, { metric: 'patterns.normalizedEntropy' }))
 * ```
 */
export function tfvisHeatmap<R extends Record<string, Record<string, unknown>>>(
  timeline: Timeline<R>,
  options: Pick<ChartOptions, 'x' | 'sites' | 'against'> & { metric: Metric<R> },
): { values: number[][]; xTickLabels: string[]; yTickLabels: string[] } {
  const where = 'tfvisHeatmap(timeline, options)'
  TFVIS.parse(options)
  const { rows, sites, x } = rowsFor(timeline as unknown as Timeline, options.metric, options, where)
  const times = [...new Set(rows.map((r) => r.step))]
  const label = (step: number): string => {
    const r = rows.find((q) => q.step === step)!
    return x === 'step' ? String(step) : x === 'epoch' ? (r.epoch ?? Number.NaN).toFixed(2) : String(r.examples)
  }
  const values = times.map((step) => sites.map((site) => rows.find((r) => r.step === step && r.site === site)?.value ?? Number.NaN))
  return { values, xTickLabels: times.map(label), yTickLabels: sites }
}

/**
 * Puts several specifications side by side (e.g. two architectures), with one shared
 * colour scale when they show the same metric.
 *
 * @example
 * ```ts
 * const spec = sideBySide([heatmap(plain, o), heatmap(residual, o)], { titles: ['plain', 'residual'] })
 * ```
 */
export function sideBySide(specs: VegaLiteSpec[], options: { titles?: readonly string[]; title?: string } = {}): VegaLiteSpec {
  SIDE_BY_SIDE.parse(options)
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    ...(options.title === undefined ? {} : { title: options.title }),
    hconcat: specs.map((s, i) => {
      const { $schema: _schema, ...rest } = s
      return options.titles?.[i] === undefined ? rest : { ...rest, title: options.titles[i] }
    }),
    resolve: { scale: { color: 'shared' } },
  }
}

/**
 * A Vega-Lite raster of a `regionMap`: one rect per pixel, coloured by region (the
 * same colours as `regionMapSvg`), s along x and t along y. For maps of more than about
 * 100,000 pixels prefer `regionMapSvg`, whose size grows with the boundaries only.
 *
 * @example
 * ```ts
 * import { regionMap } from 'relu-patterns'
 * import { regionMapSpec } from 'relu-patterns/vega'
 *
 * const spec = regionMapSpec(await regionMap(model, { origin, directions: [u, v], extent: 1, resolution: 120 }))
 * ```
 */
export function regionMapSpec(map: RegionMap, options: { title?: string; width?: number; height?: number } = {}): VegaLiteSpec {
  REGION_SPEC.parse(options)
  const { width, height, ids, extent } = map ?? ({} as RegionMap)
  if (
    !Number.isInteger(width) ||
    !Number.isInteger(height) ||
    !(ids instanceof Int32Array) ||
    ids.length !== width * height ||
    !Array.isArray(extent)
  ) {
    throw new InstrumentError('INVALID_INPUT', 'regionMapSpec takes the map regionMap() returned.')
  }
  const spec = vegaLite(regionFigure(map), {
    ...(options.width === undefined ? {} : { width: options.width }),
    ...(options.height === undefined ? {} : { height: options.height }),
  })
  return options.title === undefined ? spec : { ...spec, title: options.title }
}
