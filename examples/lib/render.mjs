// Renders a Vega-Lite specification to an SVG file in Node (vega + vega-lite, no canvas).
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import * as vega from 'vega'
import * as vl from 'vega-lite'

export async function writeSvg(spec, path) {
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' })
  const svg = await view.toSVG()
  view.finalize()
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, svg)
  return path
}
