/* toSVG(): a Vega-Lite specification drawn to SVG with the optional vega and vega-lite peers. */
import { InstrumentError } from '../errors.js'
import { type Declaration, check, declareOptions } from '../options.js'
import type { VegaLiteSpec } from '../draw/vega.js'

/** The part of the `vega` package `toSVG` uses. */
export interface VegaModule {
  parse(spec: unknown): unknown
  View: new (runtime: never, options: { renderer: 'none' }) => { toSVG(): Promise<string>; finalize(): unknown }
}
/** The part of the `vega-lite` package `toSVG` uses. */
export interface VegaLiteModule {
  compile(spec: never): { spec: unknown }
}

/** Options of {@link toSVG}: the renderers, when they cannot be imported by name (a browser page without an import map). */
export interface ToSvgOptions {
  /** The `vega` module (`import * as vega from 'vega'`). */
  vega?: VegaModule
  /** The `vega-lite` module (`import * as vegaLite from 'vega-lite'`). */
  vegaLite?: VegaLiteModule
}

const OPTIONS = /* @__PURE__ */ declareOptions(
  'toSVG(spec, options)',
  () =>
    ({
      vega: { check: check<VegaModule>('the vega module', (m) => typeof (m as VegaModule | undefined)?.parse === 'function') },
      vegaLite: {
        check: check<VegaLiteModule>('the vega-lite module', (m) => typeof (m as VegaLiteModule | undefined)?.compile === 'function'),
      },
    }) satisfies Declaration<ToSvgOptions>,
)

/** Imports an optional peer by a name bundlers do not resolve ahead of time (the package may be absent). */
async function peer<T>(name: string): Promise<T> {
  try {
    return (await import(/* @vite-ignore */ name)) as T
  } catch (error) {
    throw new InstrumentError(
      'MISSING_PEER',
      `toSVG draws with the optional peers vega and vega-lite, and ${name} could not be imported: npm install vega vega-lite (in a browser page, pass them: toSVG(spec, { vega, vegaLite })).`,
      { cause: error },
    )
  }
}

/**
 * Draws a Vega-Lite specification (from `heatmap`, `lines`, `unitHeatmap`,
 * `sideBySide` or `regionMapSpec`) to an SVG document, with no canvas and no browser.
 * `vega` and `vega-lite` are optional peers: install them to use it
 * (`npm install vega vega-lite`); without them it is a `MISSING_PEER` error.
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs'
 * import { heatmap, toSVG } from 'relu-patterns/vega'
 *
 * writeFileSync('entropy.svg', await toSVG(heatmap(schedule.timeline, { metric: 'patternEntropy.normalizedEntropy' })))
 * ```
 */
export async function toSVG(spec: VegaLiteSpec, options: ToSvgOptions = {}): Promise<string> {
  const given = OPTIONS.parse(options)
  if (typeof spec !== 'object' || spec === null)
    throw new InstrumentError('INVALID_INPUT', 'toSVG(spec) takes a Vega-Lite specification, such as heatmap(timeline) returns.')
  const vegaLite = given.vegaLite ?? (await peer<VegaLiteModule>('vega-lite'))
  const vega = given.vega ?? (await peer<VegaModule>('vega'))
  const view = new vega.View(vega.parse(vegaLite.compile(spec as never).spec) as never, { renderer: 'none' })
  try {
    return await view.toSVG()
  } finally {
    view.finalize()
  }
}
