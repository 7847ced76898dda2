/* The Site type, and finding the ReLU sites of a layers model, nested models included. */
import { InstrumentError } from '../../errors.js'
import { getOwn } from '../../keys.js'
import type { DataFormat, Granularity } from '../../record/recorder.js'
import { type ActivationKind, type LayerLike, type ReluKind, type SkipReason, dataFormatOf, reluOf, skipReasonOf } from './kinds.js'

export type { DataFormat, Granularity } from '../../record/recorder.js'
export type { ActivationKind, LayerLike, ReluKind, SkipReason } from './kinds.js'

/**
 * A place in the model where ReLU patterns are recorded: one layer instance.
 * A layer shared at several graph nodes is one site; each call adds its rows.
 */
export interface Site {
  /**
   * Unique id: the layer's name, after the names of its enclosing models, joined by `/`
   * (`encoder/dense_1`). Within a name, `%`, `/`, `:` and `#` are written `%25`, `%2F`,
   * `%3A` and `%23`, so ids never collide whatever the names.
   */
  readonly id: string
  /** The layer's own name. */
  readonly layerName: string
  /** tfjs class name, e.g. `Dense`, `Conv2D`, `ReLU`, `Activation`. */
  readonly className: string
  /** `relu`, `relu6`, `relu-capped` (a `ReLU` layer with `maxValue`), or an opt-in kind (see `activations`). */
  readonly activation: ReluKind
  /**
   * Which tensor the bits come from: the activation's `'output'` (its sign is the input's
   * for every kind but these), or its `'input'` (PReLU, whose slopes may turn negative, and
   * a LeakyReLU with a negative slope).
   */
  readonly reads: 'output' | 'input'
  /** Upper cap of the activation (6 for relu6, `maxValue` for a capped ReLU), else null. */
  readonly maxValue: number | null
  /** Bits per pattern: channels at `position` granularity, all values of an example at `example`. */
  readonly units: number
  /** Patterns per example (H*W for a 2-D conv at `position` granularity, 1 for dense); null if the spatial size varies. */
  readonly positions: number | null
  /** Granularity used at this site. */
  readonly granularity: Granularity
  /** Where the channel axis is: last (tfjs default) or first after the batch axis. */
  readonly dataFormat: DataFormat
  /** Names of the enclosing models, outermost first; empty for top-level layers. */
  readonly path: readonly string[]
  /**
   * Calls of the layer per forward pass of the model: its graph nodes, times the calls of
   * each enclosing model (2 or more for a shared layer, or a sub-model applied twice).
   */
  readonly nodes: number
  /**
   * `'sign'`: a bit is set where the unit is on (`> 0`). `'saturation'`: a bit is set where
   * a capped unit is at its cap (`>= maxValue`); such sites have id `<sign site id>:saturated`
   * and exist only with `instrument(model, { saturation: true })`. `'network'`: the
   * whole-network site (id `network`, with `instrument(model, { network: true })`), whose
   * pattern for an example concatenates the example's patterns at every other site.
   */
  readonly plane: 'sign' | 'saturation' | 'network'
  /**
   * Graph models: the graph tensor the bits are read from, as `model.execute(x, tensor)`
   * takes it (the site's node, or the input of a form spelled as several ops).
   */
  readonly tensor?: string
}

/** A ReLU the library saw in the model but does not record, and why. */
export interface SkippedSite {
  /** The id the layer would have as a site. */
  readonly id: string
  readonly layerName: string
  readonly className: string
  readonly path: readonly string[]
  /**
   * `'wrapped'`: inside TimeDistributed or Bidirectional. `'recurrent'`: applied inside a
   * recurrent cell. `'not-a-relu'`: LeakyReLU, PReLU, ThresholdedReLU (and graph ops
   * LeakyRelu, Prelu). `'not-selected'`: left out by the `sites` option.
   * `'control-flow'`: a graph node inside a loop or conditional.
   */
  readonly reason: SkipReason
  /** One sentence saying why. */
  readonly detail: string
}

/** A site together with the layer instance it taps. */
export interface FoundSite {
  readonly site: Site
  readonly layer: LayerLike
  /** Why the site cannot be recorded as it is (its channel axis is unknown); thrown only if it is selected. */
  readonly problem?: InstrumentError
}

/** What `findSites` needs to know. */
export interface FindOptions {
  readonly granularity: Granularity
  readonly saturation: boolean
  /** Channel axis of standalone ReLU/Activation layers: for all of them, or by site id. */
  readonly dataFormat: DataFormat | Readonly<Record<string, DataFormat>> | undefined
  /** The kinds of activation recorded. */
  readonly activations: ReadonlySet<ActivationKind>
}

/** One segment of a site id: the name with `%`, `/`, `:` and `#` escaped. */
export function idSegment(name: string): string {
  return name.replace(/[%/:#]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`)
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

/** Graph nodes of `layer` inside `container`'s own graph (all its nodes when the container does not say). */
function nodesIn(layer: LayerLike, container: LayerLike): number {
  const all = layer.inboundNodes?.length ?? 1
  const keys = container.containerNodes
  if (!(keys instanceof Set) || keys.size === 0) return Math.max(1, all)
  let n = 0
  for (let i = 0; i < all; i++) if (keys.has(`${layer.name}_ib-${i}`)) n++
  return Math.max(1, n)
}

/** Activation layers of their own: their channel axis is their input's. */
export const STANDALONE: ReadonlySet<string> = new Set(['ReLU', 'Activation', 'LeakyReLU', 'PReLU', 'ELU'])

function unitAxis(layer: LayerLike, id: string, rank: number, granularity: Granularity, o: FindOptions): DataFormat {
  const cls = layer.getClassName()
  const own = layer.getConfig()['dataFormat']
  const standalone = STANDALONE.has(cls)
  const given = typeof o.dataFormat === 'string' ? o.dataFormat : o.dataFormat === undefined ? undefined : getOwn(o.dataFormat, id)
  if (!standalone) return own === 'channelsFirst' && cls !== 'Dense' ? 'channelsFirst' : 'channelsLast'
  if (given !== undefined) return given
  if (rank <= 2 || granularity === 'example') return 'channelsLast'
  const inbound = layer.inboundNodes?.[0]?.inboundLayers ?? []
  const format = inbound.length > 0 ? dataFormatOf(layer) : null
  if (format !== null) return format
  throw new InstrumentError(
    'DATA_FORMAT_UNKNOWN',
    `Cannot tell which axis of the rank-${rank} output of ${cls} layer "${id}" holds the channels: its ` +
      'input does not come from a layer with a data format (a convolution, pooling, batch normalisation ' +
      'or Dense). Say it: instrument(model, { dataFormat: { ' +
      `${JSON.stringify(id)}: 'channelsLast' } }) (or 'channelsFirst'), or use granularity 'example'.`,
    { site: id },
  )
}

function describe(
  layer: LayerLike,
  path: readonly string[],
  id: string,
  nodes: number,
  o: FindOptions,
): { site: Site; problem?: InstrumentError } | null {
  const cls = layer.getClassName()
  const relu = reluOf(cls, layer.getConfig(), o.activations)
  if (relu === null) return null
  const shape = outputShapeOf(layer)
  if (shape === null || shape.length < 2) {
    throw new InstrumentError(
      'MODEL_NOT_BUILT',
      `Layer "${id}" has no output shape yet. Build the model first: give the first layer an ` +
        '`inputShape`, or call the model once, then instrument it.',
      { site: id },
    )
  }
  let problem: InstrumentError | undefined
  let dataFormat: DataFormat = 'channelsLast'
  try {
    dataFormat = unitAxis(layer, id, shape.length, o.granularity, o)
  } catch (error) {
    if (!(error instanceof InstrumentError)) throw error
    problem = error
  }
  const channelsFirst = dataFormat === 'channelsFirst'
  const dims = shape.slice(1)
  const unitDim = channelsFirst ? dims[0] : dims[dims.length - 1]
  const spatial = channelsFirst ? dims.slice(1) : dims.slice(0, -1)
  const units = o.granularity === 'example' ? product(dims) : (unitDim ?? null)
  if (units === null) {
    throw new InstrumentError(
      'MODEL_NOT_BUILT',
      `Layer "${id}" has output shape [${shape.join(', ')}]; the number of units must be known ` +
        `to record patterns at ${o.granularity} granularity. Fix the input shape, or use ` +
        "granularity 'position' for inputs of varying spatial size.",
      { site: id },
    )
  }
  const site: Site = {
    id,
    layerName: layer.name,
    className: cls,
    activation: relu.kind,
    maxValue: relu.maxValue,
    reads: relu.input === true ? 'input' : 'output',
    units,
    positions: o.granularity === 'example' ? 1 : product(spatial),
    granularity: o.granularity,
    dataFormat,
    path,
    nodes,
    plane: 'sign',
  }
  return problem === undefined ? { site } : { site, problem }
}

/** Where a leaf layer was first met, and its calls per forward pass over every place it appears. */
interface Occurrence {
  readonly layer: LayerLike
  readonly path: readonly string[]
  readonly id: string
  nodes: number
}

/** Every leaf layer of a model, in walk order, with its calls summed over all the containers that hold it. */
function occurrences(model: LayerLike): Occurrence[] {
  const byLayer = new Map<LayerLike, Occurrence>()
  const walk = (container: LayerLike, path: readonly string[], prefix: string, calls: number): void => {
    for (const layer of container.layers ?? []) {
      const id = prefix + idSegment(layer.name)
      const nodes = calls * nodesIn(layer, container)
      if (isContainer(layer)) {
        walk(layer, [...path, layer.name], `${id}/`, nodes)
        continue
      }
      const known = byLayer.get(layer)
      if (known === undefined) byLayer.set(layer, { layer, path, id, nodes })
      else known.nodes += nodes
    }
  }
  walk(model, [], '', 1)
  return [...byLayer.values()]
}

/**
 * Walks a model, nested models included, and returns every ReLU site in layer order,
 * and every ReLU it saw but cannot record. A layer reached twice (shared between nested
 * models) is listed once, where it is first met, with the calls of every place it is
 * used. With `saturation`, each capped site (relu6, ReLU with maxValue) is followed by
 * its saturation plane.
 */
export function findSites(model: LayerLike, o: FindOptions): { found: FoundSite[]; skipped: SkippedSite[] } {
  const found: FoundSite[] = []
  const skipped: SkippedSite[] = []
  for (const { layer, path, id, nodes } of occurrences(model)) {
    const skip = skipReasonOf(layer.getClassName(), layer.getConfig(), o.activations)
    if (skip !== null) {
      skipped.push({ id, layerName: layer.name, className: layer.getClassName(), path, ...skip })
      continue
    }
    const described = describe(layer, path, id, nodes, o)
    if (described === null) continue
    found.push({ ...described, layer })
    const { site } = described
    if (o.saturation && site.maxValue !== null) {
      found.push({ ...described, site: { ...site, id: `${site.id}:saturated`, plane: 'saturation' }, layer })
    }
  }
  return { found, skipped }
}
