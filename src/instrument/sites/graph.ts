/* Graph models (tf.loadGraphModel): recognising them, and finding their ReLU sites in the graph. */
import type { Tensor } from '@tensorflow/tfjs-core'
import { tidy, zeros } from '@tensorflow/tfjs-core'
import { InstrumentError } from '../../errors.js'
import { getOwn } from '../../keys.js'
import type { DataFormat } from '../../record/recorder.js'
import { type GraphForm, type GraphNode, graphForms } from './graph-forms.js'
import { batchFirst, channelAxisOf, unitsFromWeights } from './graph-layout.js'
import type { FindOptions, FoundSite, Site, SkippedSite } from './layers.js'

export type Execute = (inputs: unknown, outputs: string[]) => Tensor[]
export type ExecuteAsync = (inputs: unknown, outputs: string[]) => Promise<Tensor[]>

/**
 * A tfjs-converter `GraphModel` (from `tf.loadGraphModel`), by its public methods; the
 * library reaches its executor at run time (tfjs-converter is an optional peer dependency).
 */
export interface GraphModelLike {
  predict(inputs: never, config?: never): unknown
  execute(inputs: never, outputs?: never): unknown
  executeAsync(inputs: never, outputs?: never): Promise<unknown>
  readonly inputNodes: readonly string[]
  readonly outputNodes: readonly string[]
}

/** The parts of a tfjs-converter `GraphModel` this library touches, its executor included. */
export interface GraphInternals {
  readonly executor: {
    readonly graph: { readonly nodes: Readonly<Record<string, GraphNode>> }
    readonly weightMap: Readonly<Record<string, readonly Tensor[]>>
    readonly _signature?: {
      readonly inputs?: Readonly<Record<string, { name: string }>>
      readonly outputs?: Readonly<Record<string, { name: string }>>
    }
    execute: Execute
    executeAsync: ExecuteAsync
  }
  readonly inputs: readonly { readonly name: string; readonly shape?: readonly number[]; readonly dtype: string }[]
  execute(inputs: Record<string, Tensor>, outputs: string[]): Tensor | Tensor[]
  predict(inputs: Tensor | Tensor[], config?: object): unknown
}

/** A tfjs-converter GraphModel, recognised by shape (tfjs-converter is an optional peer). */
export function isGraphModel(x: unknown): x is GraphModelLike {
  const m = x as Partial<GraphInternals> | null
  return (
    typeof m === 'object' &&
    m !== null &&
    typeof m.executor?.execute === 'function' &&
    typeof m.executor.graph?.nodes === 'object' &&
    typeof m.predict === 'function'
  )
}

/** Ops of control flow: a graph with any of them runs only with `executeAsync`. */
export const CONTROL = new Set([
  'Enter',
  'Exit',
  'Merge',
  'Switch',
  'LoopCond',
  'NextIteration',
  'If',
  'StatelessIf',
  'While',
  'StatelessWhile',
])

/** Nodes inside control-flow frames (between Enter/Switch and Exit/Merge): not fetchable as outputs. */
function inFrames(nodes: readonly GraphNode[]): Set<GraphNode> {
  const inside = new Set<GraphNode>()
  const queue = nodes.filter((n) => n.op === 'Enter' || n.op === 'Switch').flatMap((n) => [...n.children])
  while (queue.length > 0) {
    const n = queue.pop()!
    if (inside.has(n) || n.op === 'Exit' || n.op === 'Merge') continue
    inside.add(n)
    queue.push(...n.children)
  }
  return inside
}

/** Output shapes of the given tensors, from one execution on zeros (batch of 1); null when an input's size is unknown. */
function shapesOf(model: GraphInternals, names: readonly string[]): (readonly number[])[] | null {
  const inputs: Record<string, Tensor> = {}
  for (const input of model.inputs) {
    const shape = (input.shape ?? []).map((d, i) => (d === -1 || d === null ? (i === 0 ? 1 : -1) : d))
    if (shape.some((d) => d < 0)) return null
    inputs[input.name] = zeros(shape, input.dtype as 'float32')
  }
  try {
    return tidy(() => {
      const out = model.execute(inputs, [...names])
      return (Array.isArray(out) ? out : [out]).map((t) => t.shape)
    })
  } catch (error) {
    throw new InstrumentError(
      'MODEL_NOT_BUILT',
      `Running the graph once to learn its sites' shapes failed: ${String(error)}. Graphs with control flow are not supported yet.`,
      { cause: error },
    )
  } finally {
    for (const t of Object.values(inputs)) t.dispose()
  }
}

/**
 * The channel axis of a site at rank `rank`: what the user says for this site, else what
 * the graph says, else what the user says for all sites, else a coded problem.
 */
function layoutOf(
  form: GraphForm,
  rank: number | null,
  o: FindOptions,
  weights: GraphInternals['executor']['weightMap'],
): DataFormat | InstrumentError {
  const id = form.node.name
  if (!batchFirst(form.readNode, weights)) {
    // no dataFormat can help: the rows of one example are not where the recorder takes them
    return new InstrumentError(
      'DATA_FORMAT_UNKNOWN',
      `The batch is not the first axis of graph node "${id}"'s output (a Transpose above it moves it), so its rows cannot be told apart by example. Leave it out with the sites option.`,
      { site: id },
    )
  }
  const byId = typeof o.dataFormat === 'object' ? getOwn(o.dataFormat, id) : undefined
  if (byId !== undefined) return byId
  if (o.granularity === 'example' || (rank !== null && rank <= 2)) return 'channelsLast'
  const axis = channelAxisOf(form.readNode, weights, rank)
  if (axis !== undefined && axis !== null) {
    if (axis === -1 || (rank !== null && axis === rank - 1)) return 'channelsLast'
    if (axis === 1) return 'channelsFirst'
  }
  if (typeof o.dataFormat === 'string') return o.dataFormat
  const why =
    axis === undefined
      ? 'no node above it says (no convolution, pooling or dense product between it and the model input)'
      : axis === null
        ? 'a reshape, or a transpose or join whose layout is unknown, stands between it and the last node that says'
        : `its channels are on axis ${axis}, neither the last nor the one after the batch`
  return new InstrumentError(
    'DATA_FORMAT_UNKNOWN',
    `Cannot tell which axis of graph node "${id}"'s output holds the channels: ${why}. Say it: ` +
      `instrument(model, { dataFormat: { ${JSON.stringify(id)}: 'channelsLast' } }) (or 'channelsFirst'), or use granularity 'example'.`,
    { site: id },
  )
}

/** Every ReLU site of a graph model, and every ReLU-family form seen but not recorded. */
export function findGraphSites(graphModel: GraphModelLike, o: FindOptions): { found: FoundSite[]; skipped: SkippedSite[] } {
  const model = graphModel as unknown as GraphInternals
  const nodes = Object.values(model.executor.graph.nodes)
  const weights = model.executor.weightMap
  const frames = inFrames(nodes)
  const { forms, skipped: seen } = graphForms(nodes, weights, o.activations)
  const base = (node: GraphNode, ops: string) => ({ id: node.name, layerName: node.name, className: ops, path: [] as string[] })
  const skipped: SkippedSite[] = seen.map((s) => ({ ...base(s.node, s.ops), reason: 'not-a-relu', detail: s.detail }))
  const candidates: GraphForm[] = []
  for (const form of forms) {
    if (frames.has(form.node)) {
      skipped.push({
        ...base(form.node, form.ops),
        reason: 'control-flow',
        detail: 'Inside a control-flow frame (a loop or conditional), which the executor cannot return as an output.',
      })
    } else candidates.push(form)
  }
  const control = nodes.some((n) => CONTROL.has(n.op))
  // tensors named `node:k`: a bare node name that is also a signature key would be taken for the key's tensor
  const tensorOf = (read: string): string => (/:\d+$/.test(read) ? read : `${read}:0`)
  const shapes =
    candidates.length === 0 || control
      ? null
      : shapesOf(
          model,
          candidates.map((c) => tensorOf(c.read)),
        )
  const found: FoundSite[] = []
  candidates.forEach((c, i) => {
    const { node, kind, maxValue, read, reads } = c
    let units: number
    let positions: number | null
    let rank: number | null = null
    let dims: readonly number[] = []
    if (shapes !== null) {
      dims = shapes[i]!.slice(1)
      rank = dims.length + 1
    } else {
      // a graph with control flow, or inputs of unknown size, cannot run once: the weights say the units
      const start = c.readNode
      const known = o.granularity === 'position' ? unitsFromWeights(start, weights) : null
      if (known === null) {
        // seen, but its units are unknown: an error only if it is selected
        const problem = new InstrumentError(
          'MODEL_NOT_BUILT',
          `Cannot tell the units of graph node "${node.name}" from the weights above it, and this graph (with control flow, or an input ` +
            `of unknown size) cannot run once to learn them. Leave it out with the sites option${o.granularity === 'example' ? ", or use granularity 'position'" : ''}.`,
          { site: node.name },
        )
        const site: Site = {
          id: node.name,
          layerName: node.name,
          className: c.ops,
          activation: kind,
          maxValue,
          reads,
          units: 0,
          positions: null,
          granularity: o.granularity,
          dataFormat: 'channelsLast',
          path: [],
          nodes: 1,
          plane: 'sign',
        }
        found.push({ site: { ...site, tensor: tensorOf(read) }, layer: node as never, problem })
        return
      }
      rank = known.dense ? 2 : null
      dims = known.dense ? [known.units] : []
    }
    const layout = layoutOf(c, rank, o, weights)
    const dataFormat: DataFormat = layout instanceof InstrumentError ? 'channelsLast' : layout
    const first = dataFormat === 'channelsFirst' && rank !== 2
    if (shapes !== null) {
      const spatial = first ? dims.slice(1) : dims.slice(0, -1)
      units = o.granularity === 'example' ? dims.reduce((a, b) => a * b, 1) : ((first ? dims[0] : dims[dims.length - 1]) ?? 1)
      positions = o.granularity === 'example' ? 1 : spatial.reduce((a, b) => a * b, 1)
    } else {
      units = dims[0] ?? unitsFromWeights(c.readNode, weights)!.units
      positions = rank === 2 ? 1 : null
    }
    const site: Site = {
      id: node.name,
      layerName: node.name,
      className: c.ops,
      activation: kind,
      maxValue,
      reads,
      units,
      positions,
      granularity: o.granularity,
      dataFormat: first ? 'channelsFirst' : 'channelsLast',
      path: [],
      nodes: 1,
      plane: 'sign',
      tensor: tensorOf(read),
    }
    const layer = node as never
    const problem = layout instanceof InstrumentError ? { problem: layout } : {}
    found.push({ site, layer, ...problem })
    if (o.saturation && maxValue !== null)
      found.push({ site: { ...site, id: `${site.id}:saturated`, plane: 'saturation' }, layer, ...problem })
  })
  return { found, skipped }
}
