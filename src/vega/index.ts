/**
 * Vega-Lite specifications for timelines: plain objects, no dependency. Render them
 * with vega-lite + vega (Node: `vl.compile(spec).spec` then `new vega.View(vega.parse(...),
 * { renderer: 'none' }).toSVG()`), tfjs-vis, or any Vega-Lite viewer.
 */
import { InstrumentError } from '../errors.js'
import { getOwn, assertOptions } from '../keys.js'
import type { RegionMap } from '../regions/map.js'
import { regionColour } from '../regions/picture.js'
import type { Reference, SeriesRow, Timeline } from '../timeline/timeline.js'

/** A Vega-Lite top-level specification (plain JSON). */
export type VegaLiteSpec = Record<string, unknown>

/** Which training coordinate goes on the x axis. */
export type XAxis = 'step' | 'epoch' | 'examples'

/** Options shared by the chart builders. */
export interface ChartOptions {
  /** x axis (default `'examples'` when known, else `'step'`). */
  x?: XAxis
  /** Title (default: the metric). */
  title?: string
  /** Sites to show, in order (default all, in site order). */
  sites?: string[]
  /** Comparisons to compute, when the metric is `vsFirst.*`, `vsFinal.*`, ... (default: inferred from the metric). */
  against?: Reference[]
  /** Width and height in pixels (defaults 480 and 20 per site for heatmaps, 240 for lines). */
  width?: number
  height?: number
  /** Colour scheme (default `'viridis'`). */
  scheme?: string
}

const REFS: Record<string, Reference> = { vsFirst: 'first', vsPrevious: 'previous', vsFinal: 'final' }
const CHART_KEYS = ['x', 'title', 'sites', 'against', 'width', 'height', 'scheme'] as const

function rowsFor(timeline: Timeline<Record<string, Record<string, unknown>>>, metric: string, options: ChartOptions): { rows: SeriesRow[]; sites: string[]; x: XAxis } {
  const prefix = metric.split('.')[0] ?? ''
  const inferred = getOwn(REFS, prefix)
  const against = options.against ?? (inferred === undefined ? [] : [inferred])
  const all = timeline.series({ against })
  const order = options.sites ?? [...new Set(all.map((r) => r.site))]
  const wanted = new Set(order)
  const rows = all.filter((r) => r.metric === metric && wanted.has(r.site))
  const x = options.x ?? (rows.every((r) => r.examples !== null) ? 'examples' : 'step')
  return { rows, sites: order, x }
}

const xTitle: Record<XAxis, string> = { step: 'training steps', epoch: 'epochs', examples: 'examples seen' }

/** Ordinal time axes: thin out overlapping labels; fractional epochs with two decimals. */
const axisFor = (x: XAxis): Record<string, unknown> =>
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
export function heatmap(
  timeline: Timeline<Record<string, Record<string, unknown>>>,
  options: ChartOptions & { metric: string },
): VegaLiteSpec {
  assertOptions('heatmap(timeline, options)', options, [...CHART_KEYS, 'metric'], false)
  const { rows, sites, x } = rowsFor(timeline, options.metric, options)
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: options.title ?? options.metric,
    width: options.width ?? 480,
    height: options.height ?? Math.max(60, 20 * sites.length),
    data: { values: rows },
    mark: { type: 'rect' },
    encoding: {
      x: { field: x, type: 'ordinal', title: xTitle[x], axis: axisFor(x) },
      y: { field: 'site', type: 'nominal', sort: sites, title: null },
      color: { field: 'value', type: 'quantitative', title: options.metric.split('.').at(-1), scale: { scheme: options.scheme ?? 'viridis' } },
      tooltip: [{ field: 'site' }, { field: x }, { field: 'value', format: '.4f' }],
    },
  }
}

/**
 * One line per site for a scalar metric over training.
 *
 * @example
 * ```ts
 * const spec = lines(schedule.timeline, { metric: 'patterns.normalizedEntropy', x: 'epoch' })
 * ```
 */
export function lines(
  timeline: Timeline<Record<string, Record<string, unknown>>>,
  options: ChartOptions & { metric: string },
): VegaLiteSpec {
  assertOptions('lines(timeline, options)', options, [...CHART_KEYS, 'metric'], false)
  const { rows, sites, x } = rowsFor(timeline, options.metric, options)
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: options.title ?? options.metric,
    width: options.width ?? 480,
    height: options.height ?? 240,
    data: { values: rows },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: x, type: 'quantitative', title: xTitle[x] },
      y: { field: 'value', type: 'quantitative', title: options.metric },
      color: { field: 'site', type: 'nominal', sort: sites, title: 'site' },
    },
  }
}

/**
 * Per-unit heatmap of one site: units on y, training on x, colour = a per-unit array of
 * a reducer result (default `units.frequency`, the share of inputs each unit is on for).
 *
 * @example
 * ```ts
 * const spec = unitHeatmap(schedule.timeline, { site: 'dense_1' })
 * ```
 */
export function unitHeatmap(
  timeline: Timeline<Record<string, Record<string, unknown>>>,
  options: Omit<ChartOptions, 'sites' | 'against'> & { site: string; field?: string },
): VegaLiteSpec {
  assertOptions('unitHeatmap(timeline, options)', options, ['x', 'title', 'width', 'height', 'scheme', 'site', 'field'], false)
  const field = options.field ?? 'units.frequency'
  const [reducer, key] = field.split('.') as [string, string]
  const x = options.x ?? (timeline.entries.every((e) => e.examples !== undefined) ? 'examples' : 'step')
  const values: Record<string, unknown>[] = []
  let units = 0
  for (const e of timeline.entries) {
    const arr = (e.results[options.site]?.[reducer] as Record<string, unknown> | undefined)?.[key]
    if (!ArrayBuffer.isView(arr)) continue
    const a = arr as unknown as ArrayLike<number>
    units = Math.max(units, a.length)
    for (let u = 0; u < a.length; u++) values.push({ step: e.step, epoch: e.epoch ?? null, examples: e.examples ?? null, unit: u, value: a[u] })
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: options.title ?? `${options.site}: ${field}`,
    width: options.width ?? 480,
    height: options.height ?? Math.min(600, Math.max(80, 3 * units)),
    data: { values },
    mark: { type: 'rect' },
    encoding: {
      x: { field: x, type: 'ordinal', title: xTitle[x], axis: axisFor(x) },
      y: { field: 'unit', type: 'ordinal', title: 'unit', axis: { labels: units <= 64, ticks: units <= 64 } },
      color: { field: 'value', type: 'quantitative', title: field, scale: { scheme: options.scheme ?? 'viridis', domain: [0, 1] } },
    },
  }
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
export function sideBySide(specs: VegaLiteSpec[], options: { titles?: string[]; title?: string } = {}): VegaLiteSpec {
  assertOptions('sideBySide(specs, options)', options, ['titles', 'title'])
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
  assertOptions('regionMapSpec(map, options)', options, ['title', 'width', 'height'])
  const { width, height, ids, extent } = map ?? ({} as RegionMap)
  if (!Number.isInteger(width) || !Number.isInteger(height) || !(ids instanceof Int32Array) || ids.length !== width * height || !Array.isArray(extent)) {
    throw new InstrumentError('INVALID_INPUT', 'regionMapSpec takes the map regionMap() returned.')
  }
  for (const key of ['width', 'height'] as const) {
    const v = options[key]
    if (v !== undefined && !(typeof v === 'number' && v > 0 && Number.isFinite(v))) throw new InstrumentError('INVALID_OPTION', `regionMapSpec: ${key} must be a positive number.`)
  }
  if (options.title !== undefined && typeof options.title !== 'string') throw new InstrumentError('INVALID_OPTION', 'regionMapSpec: title must be a string.')
  // each pixel is a rect from its left to its right edge: exact, whatever binning would choose
  const ds = (2 * extent[0]) / width
  const dt = (2 * extent[1]) / height
  const values: { s0: number; s1: number; t0: number; t1: number; region: number }[] = []
  for (let j = 0; j < height; j++) {
    for (let i = 0; i < width; i++) {
      values.push({ s0: -extent[0] + i * ds, s1: -extent[0] + (i + 1) * ds, t0: extent[1] - (j + 1) * dt, t1: extent[1] - j * dt, region: ids[j * width + i]! })
    }
  }
  const colours = Array.from({ length: map.regions }, (_, id) => regionColour(id))
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: options.title ?? `${map.regions} activation regions`,
    width: options.width ?? 360,
    height: options.height ?? Math.round((360 * height) / width),
    data: { values },
    mark: { type: 'rect' },
    encoding: {
      x: { field: 's0', type: 'quantitative', scale: { domain: [-extent[0], extent[0]], nice: false }, title: 's (along u)' },
      x2: { field: 's1' },
      y: { field: 't0', type: 'quantitative', scale: { domain: [-extent[1], extent[1]], nice: false }, title: 't (along v)' },
      y2: { field: 't1' },
      color: { field: 'region', type: 'nominal', legend: null, scale: { domain: colours.map((_, id) => id), range: colours } },
      tooltip: [{ field: 'region', type: 'nominal' }],
    },
  }
}
