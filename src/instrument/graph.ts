import type { Tensor } from '@tensorflow/tfjs-core'
import { tidy, zeros } from '@tensorflow/tfjs-core'
import { saturationThreshold } from '../bits/pack.js'
import { InstrumentError } from '../errors.js'
import { Recorder } from '../record/recorder.js'
import type { Group, Source } from './layers.js'
import type { FindOptions, FoundSite, Site, SkippedSite } from './sites.js'
import type { ActivationKind, ReluKind } from './relu-kinds.js'
import type { DataFormat } from '../record/recorder.js'

/*
 * Graph models (tf.loadGraphModel, format "graph-model"): ReLU sites are graph nodes.
 * Every execution path (predict, execute, executeAsync) ends in the executor's
 * `execute(inputs, outputs)` or `executeAsync`; the tap appends the site nodes to the
 * requested outputs, so the ReLU outputs are fetched in the same execution, packed and
 * disposed, and the caller gets exactly the outputs it asked for.
 */

/** The parts of a tfjs-converter graph node this library reads. */
interface GraphNode {
  readonly name: string
  readonly op: string
  readonly inputNames: readonly string[]
  readonly inputs: readonly GraphNode[]
  readonly children: readonly GraphNode[]
  readonly attrParams: Readonly<Record<string, { value?: unknown } | undefined>>
}

type Execute = (inputs: unknown, outputs: string[]) => Tensor[]
type ExecuteAsync = (inputs: unknown, outputs: string[]) => Promise<Tensor[]>

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
interface GraphInternals {
  readonly executor: {
    readonly graph: { readonly nodes: Readonly<Record<string, GraphNode>> }
    readonly weightMap: Readonly<Record<string, readonly Tensor[]>>
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
  return typeof m === 'object' && m !== null && typeof m.executor?.execute === 'function' && typeof m.executor.graph?.nodes === 'object' && typeof m.predict === 'function'
}

const FUSED = new Set(['_FusedConv2D', 'FusedConv2D', 'FusedDepthwiseConv2dNative', '_FusedMatMul', 'FusedMatMul'])
/** Ops of control flow: a graph with any of them runs only with `executeAsync`. */
const CONTROL = new Set(['Enter', 'Exit', 'Merge', 'Switch', 'LoopCond', 'NextIteration', 'If', 'StatelessIf', 'While', 'StatelessWhile'])

/** Graph ops that keep their input's axis order (element-wise, pooling, normalisation). */
const KEEPS_AXES = new Set([
  'Identity', 'BiasAdd', 'Add', 'AddV2', 'Sub', 'Mul', 'RealDiv', 'Maximum', 'Minimum', 'ClipByValue', 'Relu', 'Relu6', 'Elu',
  'Selu', 'LeakyRelu', 'Prelu', 'Sigmoid', 'Tanh', 'Cast', 'Neg', 'MaxPool', 'AvgPool', 'FusedBatchNorm', 'FusedBatchNormV3',
  ...FUSED,
])

/** The scalar value of a constant node, or null. */
function constant(node: GraphNode | undefined, weights: GraphInternals['executor']['weightMap']): number | null {
  if (node === undefined || node.op !== 'Const') return null
  const t = weights[node.name]?.[0]
  if (t === undefined || t.size !== 1) return null
  if (t.isDisposed) throw new InstrumentError('NOT_A_MODEL', 'This graph model has been disposed; load it again.')
  return t.dataSync()[0]!
}

/** `Maximum(x, 0)`: the non-constant input, or null when the node is not that form. */
function maxWithZero(node: GraphNode, weights: GraphInternals['executor']['weightMap']): boolean {
  return node.op === 'Maximum' && node.inputs.length === 2 && node.inputs.some((i) => constant(i, weights) === 0)
}

type NodeKind = { kind: ReluKind; maxValue: number | null; input?: boolean } | { skip: string } | null

/** The opt-in kinds as graph ops: LeakyRelu, Prelu (read from their input), Elu, Selu. */
function otherKindOfNode(node: GraphNode, kinds: ReadonlySet<ActivationKind>): NodeKind {
  const { op } = node
  if (op === 'LeakyRelu' || op === 'Prelu') {
    const kind = op === 'LeakyRelu' ? 'leakyRelu' : 'prelu'
    if (!kinds.has(kind)) return { skip: `${op} passes negative values through; its sign is not a ReLU's on/off state (record it with the activations option).` }
    const alpha = node.attrParams['alpha']?.value
    return { kind, maxValue: null, input: op === 'Prelu' || (typeof alpha === 'number' && alpha < 0) }
  }
  if ((op === 'Elu' || op === 'Selu') && kinds.has(op === 'Elu' ? 'elu' : 'selu')) return { kind: op === 'Elu' ? 'elu' : 'selu', maxValue: null }
  return null
}

/** The ReLU a node applies, or a reason it is seen but not recorded, or null. */
function reluOfNode(node: GraphNode, weights: GraphInternals['executor']['weightMap'], kinds: ReadonlySet<ActivationKind>): NodeKind {
  const { op } = node
  const other = otherKindOfNode(node, kinds)
  if (other !== null) return other
  if (FUSED.has(op)) {
    const fused = node.attrParams['fusedOps']?.value
    const last = Array.isArray(fused) ? String(fused[fused.length - 1]).toLowerCase() : ''
    const alpha = node.attrParams['leakyreluAlpha']?.value
    if (last === 'leakyrelu' && kinds.has('leakyRelu') && !(typeof alpha === 'number' && alpha < 0)) return { kind: 'leakyRelu', maxValue: null }
    if (last === 'leakyrelu' || last === 'prelu') return { skip: `${op} fuses ${last}: the input of the activation is not a tensor of the graph.` }
    if (last === 'elu') return kinds.has('elu') ? { kind: 'elu', maxValue: null } : null
    if (!kinds.has('relu')) return null
    if (last === 'relu') return { kind: 'relu', maxValue: null }
    if (last === 'relu6') return { kind: 'relu6', maxValue: 6 }
    return null
  }
  if (!kinds.has('relu')) return null
  if (op === 'Relu') return { kind: 'relu', maxValue: null }
  if (op === 'Relu6') return { kind: 'relu6', maxValue: 6 }
  if (op === 'Minimum' && node.inputs.length === 2) {
    const [a, b] = node.inputs
    const inner = maxWithZero(a!, weights) ? a! : maxWithZero(b!, weights) ? b! : null
    const cap = constant(inner === a ? b : a, weights)
    if (inner !== null && cap !== null && cap > 0) return { kind: 'relu-capped', maxValue: cap }
  }
  if (op === 'ClipByValue' && node.inputs.length === 3 && constant(node.inputs[1], weights) === 0) {
    const cap = constant(node.inputs[2], weights)
    if (cap !== null && cap > 0) return { kind: 'relu-capped', maxValue: cap }
  }
  if (maxWithZero(node, weights)) {
    // Minimum(Maximum(x, 0), c) is one capped site, at the Minimum
    const capped = node.children.length === 1 && node.children[0]!.op === 'Minimum' && reluOfNode(node.children[0]!, weights, kinds) !== null
    return capped ? null : { kind: 'relu', maxValue: null }
  }
  return null
}

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

/** The channel axis of a node's output: the first node up the graph that says, else NHWC. */
function formatOf(node: GraphNode): DataFormat {
  const seen = new Set<GraphNode>()
  const queue = [node]
  while (queue.length > 0) {
    const n = queue.shift()!
    if (seen.has(n)) continue
    seen.add(n)
    const f = n.attrParams['dataFormat']?.value
    // NCHW, NCDHW, NCW: channels right after the batch; NHWC, NDHWC, NWC: channels last
    if (typeof f === 'string') return f.toUpperCase().startsWith('NC') ? 'channelsFirst' : 'channelsLast'
    // only through ops that keep the axis order; a Transpose or Reshape says nothing
    if (n !== node && !KEEPS_AXES.has(n.op)) continue
    queue.push(...n.inputs.filter((i) => i.op !== 'Const'))
  }
  return 'channelsLast'
}

/** The shape of a constant node, or null. */
function constShape(node: GraphNode | undefined, weights: GraphInternals['executor']['weightMap']): readonly number[] | null {
  return node?.op === 'Const' ? (weights[node.name]?.[0]?.shape ?? null) : null
}

/**
 * Units and rank of a node's output, read from the weights up the graph (a convolution's
 * filter, a MatMul's weight, a bias or a normalisation's scale), for graphs that cannot
 * run once synchronously. Null when nothing says.
 */
function unitsFromWeights(start: GraphNode, weights: GraphInternals['executor']['weightMap']): { units: number; dense: boolean } | null {
  const seen = new Set<GraphNode>()
  for (let node: GraphNode | undefined = start; node !== undefined && !seen.has(node); node = node.inputs.find((i) => i.op !== 'Const')) {
    seen.add(node)
    const w = constShape(node.inputs[1], weights)
    const op = node.op
    if ((op === 'Conv2D' || op === '_FusedConv2D' || op === 'FusedConv2D') && w?.length === 4) return { units: w[3]!, dense: false }
    if ((op === 'DepthwiseConv2dNative' || op === 'FusedDepthwiseConv2dNative') && w?.length === 4) return { units: w[2]! * w[3]!, dense: false }
    if ((op === 'MatMul' || op === '_FusedMatMul' || op === 'FusedMatMul') && w?.length === 2) {
      return { units: node.attrParams['transposeB']?.value === true ? w[0]! : w[1]!, dense: true }
    }
    if (op === 'BiasAdd' && w?.length === 1) return { units: w[0]!, dense: false }
    if (op === 'Placeholder') {
      const shape = node.attrParams['shape']?.value
      const last = Array.isArray(shape) ? shape[shape.length - 1] : undefined
      return typeof last === 'number' && last > 0 ? { units: last, dense: (shape as number[]).length === 2 } : null
    }
    if (!KEEPS_AXES.has(op) && op !== 'Switch' && op !== 'Merge' && op !== 'Enter') return null
  }
  return null
}

/** Output shapes of the given nodes, from one execution on zeros (batch of 1). */
function shapesOf(model: GraphInternals, names: readonly string[]): (readonly number[])[] {
  const inputs: Record<string, Tensor> = {}
  for (const input of model.inputs) {
    const shape = (input.shape ?? []).map((d, i) => (d === -1 || d === null ? (i === 0 ? 1 : -1) : d))
    if (shape.some((d) => d < 0)) {
      throw new InstrumentError(
        'MODEL_NOT_BUILT',
        `Graph input "${input.name}" has shape [${(input.shape ?? []).join(', ')}]: a size other than the batch is unknown, so the sites' units cannot be known before a pass.`,
      )
    }
    inputs[input.name] = zeros(shape, input.dtype as 'float32')
  }
  try {
    return tidy(() => {
      const out = model.execute(inputs, [...names])
      return (Array.isArray(out) ? out : [out]).map((t) => t.shape)
    })
  } catch (error) {
    throw new InstrumentError('MODEL_NOT_BUILT', `Running the graph once to learn its sites' shapes failed: ${String(error)}. Graphs with control flow are not supported yet.`, { cause: error })
  } finally {
    for (const t of Object.values(inputs)) t.dispose()
  }
}

/** Every ReLU site of a graph model, and every ReLU seen but not recordable. */
export function findGraphSites(graphModel: GraphModelLike, o: FindOptions): { found: FoundSite[]; skipped: SkippedSite[] } {
  const model = graphModel as unknown as GraphInternals
  const nodes = Object.values(model.executor.graph.nodes)
  const weights = model.executor.weightMap
  const frames = inFrames(nodes)
  const skipped: SkippedSite[] = []
  const candidates: { node: GraphNode; kind: ReluKind; maxValue: number | null; input?: boolean }[] = []
  for (const node of nodes) {
    const relu = reluOfNode(node, weights, o.activations)
    if (relu === null) continue
    const base = { id: node.name, layerName: node.name, className: node.op, path: [] as string[] }
    if ('skip' in relu) skipped.push({ ...base, reason: 'not-a-relu', detail: relu.skip })
    else if (frames.has(node)) skipped.push({ ...base, reason: 'control-flow', detail: 'Inside a control-flow frame (a loop or conditional), which the executor cannot return as an output.' })
    else candidates.push({ node, ...relu })
  }
  const control = nodes.some((n) => CONTROL.has(n.op))
  const fetched = (c: (typeof candidates)[number]): GraphNode => (c.input === true ? c.node.inputs[0]! : c.node)
  const shapes = candidates.length === 0 || control ? null : shapesOf(model, candidates.map((c) => fetched(c).name))
  const found: FoundSite[] = []
  candidates.forEach((c, i) => {
    const { node, kind, maxValue, input } = c
    const dataFormat = formatOf(node)
    let units: number
    let positions: number | null
    let first = false
    if (shapes !== null) {
      const dims = shapes[i]!.slice(1)
      first = dataFormat === 'channelsFirst' && dims.length > 1
      const spatial = first ? dims.slice(1) : dims.slice(0, -1)
      units = o.granularity === 'example' ? dims.reduce((a, b) => a * b, 1) : ((first ? dims[0] : dims[dims.length - 1]) ?? 1)
      positions = o.granularity === 'example' ? 1 : spatial.reduce((a, b) => a * b, 1)
    } else {
      // a graph with control flow cannot run once synchronously: the weights say the units
      const known = o.granularity === 'position' ? unitsFromWeights(fetched(c), weights) : null
      if (known === null) {
        throw new InstrumentError(
          'MODEL_NOT_BUILT',
          `Cannot tell the units of graph node "${node.name}" from the weights above it, and this graph (with control flow) cannot run ` +
            "synchronously to learn them. Select other sites with the sites option, or use granularity 'position'.",
          { site: node.name },
        )
      }
      units = known.units
      first = dataFormat === 'channelsFirst' && !known.dense
      positions = known.dense ? 1 : null
    }
    const site: Site = {
      id: node.name,
      layerName: node.name,
      className: node.op,
      activation: kind,
      maxValue,
      reads: input === true ? 'input' : 'output',
      units,
      positions,
      granularity: o.granularity,
      dataFormat: first ? 'channelsFirst' : 'channelsLast',
      path: [],
      nodes: 1,
      plane: 'sign',
    }
    const layer = node as never
    found.push({ site, layer })
    if (o.saturation && maxValue !== null) found.push({ site: { ...site, id: `${site.id}:saturated`, plane: 'saturation' }, layer })
  })
  return { found, skipped }
}

const nodeName = (output: string): string => (output.endsWith(':0') ? output.slice(0, -2) : output)

/** The tensors of an executor's inputs (a tensor, an array, or a map by name). */
function inputTensors(inputs: unknown): Tensor[] {
  if (inputs === null || typeof inputs !== 'object') return []
  if (Array.isArray(inputs)) return inputs as Tensor[]
  if (typeof (inputs as Tensor).dataSync === 'function') return [inputs as Tensor]
  return Object.values(inputs as Record<string, Tensor>)
}

/** The source of a graph model: its executor, asked for the site nodes alongside the caller's outputs. */
export function graphSource(graphModel: GraphModelLike, found: readonly FoundSite[], values = false): Source {
  const model = graphModel as unknown as GraphInternals
  const byNode = new Map<string, number[]>()
  found.forEach((f, i) => {
    const name = f.site.id.replace(/:saturated$/, '')
    // a site read from its input fetches the node that feeds it
    const fetch = f.site.reads === 'input' ? model.executor.graph.nodes[name]!.inputNames[0]! : name
    byNode.set(fetch, [...(byNode.get(fetch) ?? []), i])
  })
  const groups: (Group & { name: string })[] = [...byNode].map(([name, planes]) => {
    const sites = planes.map((i) => found[i]!.site)
    const first = sites[0]!
    const recorder = new Recorder({
      id: first.id,
      units: first.units,
      granularity: first.granularity,
      dataFormat: first.dataFormat,
      thresholds: sites.map((s) => (s.plane === 'saturation' ? saturationThreshold(s.maxValue ?? 0) : 0)),
      caps: sites.map((s) => (s.plane === 'saturation' ? (s.maxValue ?? 0) : null)),
      values,
    })
    return { name, planes, recorder }
  })
  const executor = model.executor
  const nodes = Object.values(executor.graph.nodes)
  return {
    groups,
    tapped: [executor],
    trains: false,
    asyncOnly: nodes.some((n) => CONTROL.has(n.op)),
    attach(deliver, owner) {
      /** The outputs asked for, then the site nodes not among them. */
      const extend = (outputs: string[]): { all: string[]; at: number[] } => {
        const all = [...outputs]
        const at = groups.map((g) => {
          const i = outputs.findIndex((o) => nodeName(o) === g.name)
          if (i >= 0) return i
          all.push(g.name)
          return all.length - 1
        })
        return { all, at }
      }
      const finish = (result: Tensor[], asked: number, at: number[], inputs: unknown, by?: { value: unknown }): Tensor[] => {
        const returned = result.slice(0, asked)
        try {
          at.forEach((i, g) => deliver(g, result[i], false, by))
        } finally {
          // a site output may be the very tensor of a caller's output (asked for by a
          // signature key) or of an input (a site read from the placeholder): never dispose those
          const keep = new Set<Tensor>([...returned, ...inputTensors(inputs)])
          for (let i = asked; i < result.length; i++) {
            const t = result[i]!
            if (!keep.has(t)) {
              keep.add(t)
              t.dispose()
            }
          }
        }
        return returned
      }
      const own = { execute: Object.prototype.hasOwnProperty.call(executor, 'execute'), executeAsync: Object.prototype.hasOwnProperty.call(executor, 'executeAsync') }
      const original = { execute: executor.execute, executeAsync: executor.executeAsync }
      executor.execute = function (this: unknown, inputs, outputs) {
        const { all, at } = extend(outputs)
        return finish(original.execute.call(this, inputs, all), outputs.length, at, inputs)
      }
      executor.executeAsync = async function (this: unknown, inputs, outputs) {
        const { all, at } = extend(outputs)
        // whose call this is is known now, not after the await
        const by = { value: owner() }
        return finish(await original.executeAsync.call(this, inputs, all), outputs.length, at, inputs, by)
      }
      return [
        () => {
          for (const key of ['execute', 'executeAsync'] as const) {
            if (own[key]) (executor as Record<string, unknown>)[key] = original[key]
            else delete (executor as Partial<GraphInternals['executor']>)[key]
          }
        },
      ]
    },
  }
}
