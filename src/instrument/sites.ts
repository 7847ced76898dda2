import { InstrumentError } from '../errors.js'

/** How a site's activations are cut into patterns. */
export type Granularity = 'position' | 'example'

/** Which ReLU a site applies. */
export type ReluKind = 'relu' | 'relu6' | 'relu-capped'

/**
 * A place in the model where ReLU patterns are recorded: one layer instance.
 * A layer shared at several graph nodes is one site; each call adds its rows.
 */
export interface Site {
  /** Unique id: the layer name, prefixed by enclosing model names for nested layers (`encoder/dense_1`). */
  readonly id: string
  /** The layer's own name. */
  readonly layerName: string
  /** tfjs class name, e.g. `Dense`, `Conv2D`, `ReLU`, `Activation`. */
  readonly className: string
  /** `relu`, `relu6`, or `relu-capped` for a `ReLU` layer with `maxValue`. */
  readonly activation: ReluKind
  /** Upper cap of the activation (6 for relu6, `maxValue` for a capped ReLU), else null. */
  readonly maxValue: number | null
  /** Bits per pattern: channels at `position` granularity, all values of an example at `example`. */
  readonly units: number
  /** Patterns per example (H*W for a 2-D conv at `position` granularity, 1 for dense); null if the spatial size varies. */
  readonly positions: number | null
  /** Granularity used at this site. */
  readonly granularity: Granularity
  /** Where the channel axis is: last (tfjs default) or first after the batch axis. */
  readonly dataFormat: 'channelsLast' | 'channelsFirst'
  /** Names of the enclosing models, outermost first; empty for top-level layers. */
  readonly path: readonly string[]
  /** Graph nodes at which the layer is called (2 or more for a shared layer). */
  readonly nodes: number
  /**
   * `'sign'`: a bit is set where the unit is on (`> 0`). `'saturation'`: a bit is set where
   * a capped unit is at its cap (`>= maxValue`); such sites have id `<sign site id>:saturated`
   * and exist only with `instrument(model, { saturation: true })`.
   */
  readonly plane: 'sign' | 'saturation'
}

/** The parts of a tfjs-layers Layer this library touches. */
export interface LayerLike {
  name: string
  getClassName(): string
  getConfig(): Record<string, unknown>
  call: (inputs: unknown, kwargs: Record<string, unknown>) => unknown
  readonly outputShape: unknown
  inboundNodes?: readonly { outputShapes?: unknown }[]
  layers?: readonly LayerLike[]
}

/** Layers whose `call` returns `activation(linear(x))`, so the output carries the ReLU's sign. */
const FUSED = new Set([
  'Dense',
  'Conv1D',
  'Conv2D',
  'Conv3D',
  'Conv2DTranspose',
  'Conv3DTranspose',
  'SeparableConv2D',
  'DepthwiseConv2D',
])
const CONV = new Set([...FUSED].filter((c) => c !== 'Dense'))

/** The ReLU applied by a layer, or null when the layer is not a ReLU site. */
function reluOf(layer: LayerLike): { kind: ReluKind; maxValue: number | null } | null {
  const cls = layer.getClassName()
  const config = layer.getConfig()
  if (cls === 'ReLU') {
    const max = config['maxValue']
    return typeof max === 'number' ? { kind: 'relu-capped', maxValue: max } : { kind: 'relu', maxValue: null }
  }
  if (cls === 'Activation' || FUSED.has(cls)) {
    if (config['activation'] === 'relu') return { kind: 'relu', maxValue: null }
    if (config['activation'] === 'relu6') return { kind: 'relu6', maxValue: 6 }
  }
  return null
}

function isContainer(layer: LayerLike): boolean {
  return Array.isArray(layer.layers)
}

/** Output shape of a layer's first graph node, or null when it has never been built. */
function outputShapeOf(layer: LayerLike): readonly (number | null)[] | null {
  let shape: unknown
  try {
    shape = layer.outputShape
  } catch {
    shape = layer.inboundNodes?.[0]?.outputShapes
  }
  if (Array.isArray(shape) && Array.isArray(shape[0])) shape = shape[0]
  return Array.isArray(shape) ? (shape as (number | null)[]) : null
}

function product(dims: readonly (number | null)[]): number | null {
  let p = 1
  for (const d of dims) {
    if (d === null) return null
    p *= d
  }
  return p
}

function describe(
  layer: LayerLike,
  path: readonly string[],
  granularity: Granularity,
): Site | null {
  const relu = reluOf(layer)
  if (relu === null) return null
  const cls = layer.getClassName()
  const id = [...path, layer.name].join('/')
  const shape = outputShapeOf(layer)
  if (shape === null || shape.length < 2) {
    throw new InstrumentError(
      'MODEL_NOT_BUILT',
      `Layer "${id}" has no output shape yet. Build the model first: give the first layer an ` +
        '`inputShape`, or call the model once, then instrument it.',
      { site: id },
    )
  }
  const channelsFirst = CONV.has(cls) && layer.getConfig()['dataFormat'] === 'channelsFirst'
  const dims = shape.slice(1)
  const unitDim = channelsFirst ? dims[0] : dims[dims.length - 1]
  const spatial = channelsFirst ? dims.slice(1) : dims.slice(0, -1)
  const units = granularity === 'example' ? product(dims) : (unitDim ?? null)
  if (units === null) {
    throw new InstrumentError(
      'MODEL_NOT_BUILT',
      `Layer "${id}" has output shape [${shape.join(', ')}]; the number of units must be known ` +
        `to record patterns at ${granularity} granularity. Fix the input shape, or use ` +
        "granularity 'position' for inputs of varying spatial size.",
      { site: id },
    )
  }
  return {
    id,
    layerName: layer.name,
    className: cls,
    activation: relu.kind,
    maxValue: relu.maxValue,
    units,
    positions: granularity === 'example' ? 1 : product(spatial),
    granularity,
    dataFormat: channelsFirst ? 'channelsFirst' : 'channelsLast',
    path,
    nodes: Math.max(1, layer.inboundNodes?.length ?? 1),
    plane: 'sign',
  }
}

/** A site together with the layer instance it taps. */
export interface FoundSite {
  readonly site: Site
  readonly layer: LayerLike
}

/**
 * Walks a model, nested models included, and returns every ReLU site in layer order.
 * A layer reached twice (shared between nested models) is listed once. With `saturation`,
 * each capped site (relu6, ReLU with maxValue) is followed by its saturation plane.
 */
export function findSites(model: LayerLike, granularity: Granularity, saturation = false): FoundSite[] {
  const found: FoundSite[] = []
  const seen = new Set<LayerLike>()
  const walk = (container: LayerLike, path: readonly string[]): void => {
    for (const layer of container.layers ?? []) {
      if (seen.has(layer)) continue
      seen.add(layer)
      if (isContainer(layer)) {
        walk(layer, [...path, layer.name])
        continue
      }
      const site = describe(layer, path, granularity)
      if (site === null) continue
      found.push({ site, layer })
      if (saturation && site.maxValue !== null) {
        found.push({ site: { ...site, id: `${site.id}:saturated`, plane: 'saturation' }, layer })
      }
    }
  }
  walk(model, [])
  return found
}
