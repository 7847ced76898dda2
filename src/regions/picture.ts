/* Region maps drawn: regionMapSvg, and the region map as a figure for the drawing layer. */
import { InstrumentError } from '../errors.js'
import { type Declaration, boolean, declareOptions, number } from '../options.js'
import type { RegionFigure } from '../draw/figure.js'
import { regionColor } from '../draw/rules.js'
import { svg } from '../draw/svg.js'
import type { RegionMap } from './map.js'

/** Options of {@link regionMapSvg}. */
export interface RegionSvgOptions {
  /** Screen pixels per map pixel (default 2). */
  scale?: number
  /** Draw region boundaries in black (default true). */
  boundaries?: boolean
}

const OPTIONS = /* @__PURE__ */ declareOptions(
  'regionMapSvg(map, options)',
  () =>
    ({
      scale: { check: number(0, Infinity, true), default: 2 },
      boundaries: { check: boolean, default: true },
    }) satisfies Declaration<RegionSvgOptions>,
)

export { regionColor }

/**
 * An SVG picture of a {@link RegionMap}: each region in its own colour, boundaries in
 * black, the top row at `+extent` along v. One path per colour, made of the runs of equal
 * pixels in each row, so the file grows with the number of boundaries, not pixels.
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs'
 * import { regionMap, regionMapSvg } from 'relu-patterns'
 *
 * writeFileSync('regions.svg', regionMapSvg(await regionMap(model, { origin, directions: [u, v], extent: 1, resolution: 256 })))
 * ```
 */
export function regionMapSvg(map: RegionMap, options: RegionSvgOptions = {}): string {
  const { scale, boundaries } = OPTIONS.parse(options)
  const { width, height, ids } = map
  if (!Number.isInteger(width) || !Number.isInteger(height) || !(ids instanceof Int32Array) || ids.length !== width * height)
    throw new InstrumentError('INVALID_INPUT', 'regionMapSvg takes the map regionMap() returned.')
  return svg(regionFigure(map), { scale, boundaries })
}

/** A region map as a figure, for the SVG and Vega-Lite drawings. */
export function regionFigure(map: RegionMap): RegionFigure {
  return {
    kind: 'regions',
    title: `${map.regions} activation regions`,
    width: map.width,
    height: map.height,
    ids: map.ids,
    regions: map.regions,
    extent: map.extent,
  }
}
