/* Renderer-neutral figures: what a chart shows (values, scales, titles, legend), before it becomes SVG or Vega-Lite. */

/** One category on an axis: its full id (shown on hover) and the label drawn. */
export interface Category {
  readonly id: string
  readonly label: string
}

/** A sequential colour scale and what its ends mean. */
export interface ColorScale {
  /** Legend title, with the unit. */
  readonly title: string
  /** Values mapped to the ends of the scale, or `'data'` for the data's own range. */
  readonly domain: readonly [number, number] | 'data'
  /** What the low and high ends mean, for the legend (`'0% (never on: dead)'`). */
  readonly low: string
  readonly high: string
}

/** A heatmap: rows by columns, each cell coloured by its value. */
export interface HeatmapFigure {
  readonly kind: 'heatmap'
  readonly title: string
  /** Rows, top to bottom: categories (sites), or numbered units when `numeric`. */
  readonly rows: { readonly title: string | null; readonly field: string; readonly items: readonly Category[]; readonly numeric: boolean }
  /**
   * Columns, left to right (measurements): `at` is the column's position, and when `spans`
   * names a field, each column reaches `to` (the next one's `at`) on a quantitative axis.
   */
  readonly columns: {
    readonly title: string
    readonly field: string
    readonly items: readonly { readonly at: number; readonly to: number; readonly label: string }[]
    readonly spans: string | null
    readonly format: 'integer' | 'fraction'
  }
  /** Values row-major (`values[row * columns + column]`), NaN where there is no reading. */
  readonly values: Float64Array
  readonly color: ColorScale
  readonly width: number
  readonly height: number | null
}

/** One line of a line chart. */
export interface Series {
  readonly name: string
  /** Points in x order; a null y is a gap (no reading). */
  readonly points: readonly { readonly x: number; readonly y: number | null }[]
}

/** Lines over a numeric axis, or over categories (sites in depth order) when `x.items` is given. */
export interface LinesFigure {
  readonly kind: 'lines'
  readonly title: string
  /** With `items`, x is the category index (0-based). */
  readonly x: { readonly title: string; readonly field: string; readonly items: readonly Category[] | null }
  readonly y: { readonly title: string; readonly domain: readonly [number, number] | null }
  readonly series: readonly Series[]
  readonly width: number
  readonly height: number
}

/** A strip of one cell per unit, coloured by its value. */
export interface StripFigure {
  readonly kind: 'strip'
  readonly title: string
  readonly values: ArrayLike<number>
  /** The hover text of cell `i`. */
  readonly tip: (i: number, value: number) => string
  readonly width: number
}

/** Counts sorted in decreasing order against their rank, both axes logarithmic. */
export interface RankFigure {
  readonly kind: 'rank'
  readonly title: string
  readonly counts: readonly number[]
  readonly x: string
  readonly y: string
  readonly width: number
  readonly height: number
}

/** A raster of region ids over a 2-D slice, one colour per region. */
export interface RegionFigure {
  readonly kind: 'regions'
  readonly title: string
  /** Pixels across and down, and each pixel's region id, row-major from the top. */
  readonly width: number
  readonly height: number
  readonly ids: Int32Array
  readonly regions: number
  /** Half-widths of the slice along its two directions. */
  readonly extent: readonly [number, number]
}

/** Any figure. */
export type Figure = HeatmapFigure | LinesFigure | StripFigure | RankFigure | RegionFigure
