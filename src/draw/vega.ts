/* Figures as Vega-Lite specifications: plain JSON with the same titles, scales and colours as the SVG drawings. */
import type { Figure, HeatmapFigure, LinesFigure, RegionFigure } from './figure.js'
import { LINE_COLORS, SCHEME, regionColor } from './rules.js'

/** A Vega-Lite top-level specification (plain JSON). */
export type VegaLiteSpec = Record<string, unknown>

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json'

/**
 * A figure as a Vega-Lite specification (heatmaps, lines and region maps; strips and rank
 * plots are drawn as SVG only).
 *
 * @example
 * ```ts
 * const spec = vegaLite(figure) // render with vega-lite + vega, or any Vega-Lite viewer
 * ```
 */
export function vegaLite(
  figure: Exclude<Figure, { kind: 'strip' | 'rank' }>,
  options: { width?: number; height?: number; scheme?: string } = {},
): VegaLiteSpec {
  switch (figure.kind) {
    case 'heatmap':
      return heatmap(figure, options.scheme ?? SCHEME)
    case 'lines':
      return lines(figure)
    case 'regions':
      return regions(figure, options)
  }
}

function heatmap(f: HeatmapFigure, scheme: string): VegaLiteSpec {
  const { rows, columns } = f
  const values: Record<string, unknown>[] = []
  rows.items.forEach((r, i) => {
    columns.items.forEach((c, j) => {
      const v = f.values[i * columns.items.length + j]!
      if (Number.isNaN(v)) return
      const row = rows.numeric ? { [rows.field]: i, [`${rows.field}1`]: i + 1 } : { [rows.field]: r.id }
      values.push({ ...row, [columns.field]: c.at, ...(columns.spans === null ? {} : { [columns.spans]: c.to }), value: v })
    })
  })
  const axis =
    columns.format === 'fraction' ? { labelOverlap: true, format: '.2f', formatType: 'number', labelAngle: 0 } : { labelOverlap: true }
  const x =
    columns.spans === null
      ? { x: { field: columns.field, type: 'ordinal', title: columns.title, axis } }
      : {
          x: { field: columns.field, type: 'quantitative', title: columns.title, scale: { nice: false, zero: false } },
          x2: { field: columns.spans },
        }
  const y = rows.numeric
    ? rows.items.length > 64
      ? {
          y: {
            field: rows.field,
            type: 'quantitative',
            title: rows.title,
            scale: { domain: [0, rows.items.length], nice: false, reverse: true },
            axis: { tickCount: 8, format: 'd' },
          },
          y2: { field: `${rows.field}1` },
        }
      : { y: { field: rows.field, type: 'ordinal', title: rows.title } }
    : { y: { field: rows.field, type: 'nominal', sort: rows.items.map((r) => r.id), title: rows.title } }
  return {
    $schema: SCHEMA,
    title: f.title,
    width: f.width,
    height: f.height ?? Math.max(60, 20 * rows.items.length),
    data: { values },
    mark: { type: 'rect' },
    encoding: {
      ...x,
      ...y,
      color: {
        field: 'value',
        type: 'quantitative',
        title: f.color.title,
        scale: { scheme, ...(f.color.domain === 'data' ? {} : { domain: [...f.color.domain] }) },
      },
      tooltip: [{ field: rows.field }, { field: columns.field, title: columns.title }, { field: 'value', format: '.4f' }],
    },
  }
}

function lines(f: LinesFigure): VegaLiteSpec {
  const values = f.series.flatMap((s) =>
    s.points
      .filter((p) => p.y !== null)
      .map((p) => ({ [f.x.field]: f.x.items === null ? p.x : f.x.items[p.x]?.id, series: s.name, value: p.y })),
  )
  return {
    $schema: SCHEMA,
    title: f.title,
    width: f.width,
    height: f.height,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x:
        f.x.items === null
          ? { field: f.x.field, type: 'quantitative', title: f.x.title }
          : { field: f.x.field, type: 'ordinal', sort: f.x.items.map((c) => c.id), title: f.x.title },
      y: { field: 'value', type: 'quantitative', title: f.y.title, ...(f.y.domain === null ? {} : { scale: { domain: [...f.y.domain] } }) },
      color: {
        field: 'series',
        type: 'nominal',
        sort: f.series.map((s) => s.name),
        title: f.series.length > LINE_COLORS.length ? null : 'series',
      },
      tooltip: [{ field: 'series' }, { field: f.x.field }, { field: 'value', format: '.4f' }],
    },
  }
}

/** One rect per pixel, from its left to its right edge: exact, whatever binning would choose. */
function regions(f: RegionFigure, size: { width?: number; height?: number }): VegaLiteSpec {
  const { width, height, ids, extent } = f
  const ds = (2 * extent[0]) / width
  const dt = (2 * extent[1]) / height
  const values: { s0: number; s1: number; t0: number; t1: number; region: number }[] = []
  for (let j = 0; j < height; j++) {
    for (let i = 0; i < width; i++) {
      values.push({
        s0: -extent[0] + i * ds,
        s1: -extent[0] + (i + 1) * ds,
        t0: extent[1] - (j + 1) * dt,
        t1: extent[1] - j * dt,
        region: ids[j * width + i]!,
      })
    }
  }
  const colours = Array.from({ length: f.regions }, (_, id) => regionColor(id))
  const w = size.width ?? 360
  return {
    $schema: SCHEMA,
    title: f.title,
    width: w,
    height: size.height ?? Math.round((w * height) / width),
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
