import { InstrumentError } from '../errors.js'
import { boolean, declareOptions, number } from '../options.js'
import type { RegionMap } from './map.js'

/** Options of {@link regionMapSvg}. */
export interface RegionSvgOptions {
  /** Screen pixels per map pixel (default 2). */
  scale?: number
  /** Draw region boundaries in black (default true). */
  boundaries?: boolean
}

const OPTIONS = declareOptions<RegionSvgOptions>()('regionMapSvg(map, options)', {
  scale: { check: number(0, Infinity, true), default: 2 },
  boundaries: { check: boolean, default: true },
})

/** A colour per region id: hues a golden angle apart, so neighbouring ids differ. */
export function regionColour(id: number): string {
  const hue = (id * 137.508) % 360
  const light = 52 + ((id * 7) % 3) * 8
  return `hsl(${hue.toFixed(1)},62%,${light}%)`
}

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
  if (!Number.isInteger(width) || !Number.isInteger(height) || !(ids instanceof Int32Array) || ids.length !== width * height) throw new InstrumentError('INVALID_INPUT', 'regionMapSvg takes the map regionMap() returned.')
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width * scale}" height="${height * scale}" viewBox="0 0 ${width} ${height}" shape-rendering="crispEdges">`,
    `<title>${map.regions} activation regions</title>`,
  ]
  const edge = (k: number): boolean => {
    const i = k % width
    const j = (k - i) / width
    return (i + 1 < width && ids[k] !== ids[k + 1]) || (j + 1 < height && ids[k] !== ids[k + width])
  }
  // runs of equal pixels in a row, gathered into one path per colour
  const paths = new Map<string, string[]>()
  for (let j = 0; j < height; j++) {
    let i = 0
    while (i < width) {
      const k = j * width + i
      const id = ids[k]!
      const line = boundaries && edge(k)
      let end = i + 1
      while (end < width && ids[j * width + end] === id && (boundaries && edge(j * width + end)) === line) end++
      const fill = line ? '#000' : regionColour(id)
      let list = paths.get(fill)
      if (list === undefined) paths.set(fill, (list = []))
      list.push(`M${i} ${j}h${end - i}v1h-${end - i}z`)
      i = end
    }
  }
  for (const [fill, runs] of paths) out.push(`<path fill="${fill}" d="${runs.join('')}"/>`)
  out.push('</svg>')
  return out.join('\n')
}
