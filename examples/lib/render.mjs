// Writes a Vega-Lite specification to an SVG file in Node (toSVG draws with vega + vega-lite, no canvas).
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { toSVG } from 'relu-patterns/vega'

export async function writeSvg(spec, path) {
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, await toSVG(spec))
  return path
}
