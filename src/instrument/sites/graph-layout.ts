/* Where a graph node's channels are, tracked through transposes, and its units read from the weights above it. */
import { FUSED, type GraphNode, type Weights, constTensor } from './graph-forms.js'

/** Graph ops that keep their input's axis order (element-wise, pooling, padding, normalisation, joins). */
const KEEPS_AXES = new Set([
  'Identity',
  'BiasAdd',
  'Add',
  'AddV2',
  'AddN',
  'Sub',
  'Mul',
  'RealDiv',
  'Div',
  'Maximum',
  'Minimum',
  'ClipByValue',
  'Relu',
  'Relu6',
  'Elu',
  'Selu',
  'LeakyRelu',
  'Prelu',
  'Sigmoid',
  'Tanh',
  'Softplus',
  'Cast',
  'Neg',
  'Abs',
  'Square',
  'Sqrt',
  'Rsqrt',
  'Exp',
  'SquaredDifference',
  'Pow',
  'MaxPool',
  'AvgPool',
  'FusedBatchNorm',
  'FusedBatchNormV3',
  'Pad',
  'PadV2',
  'MirrorPad',
  'ConcatV2',
  'StopGradient',
  'Switch',
  'Merge',
  'Enter',
  'Exit',
])

/** Ops whose channels are last whatever they are given: dense products and image resizes. */
const CHANNELS_LAST = new Set([
  'MatMul',
  '_FusedMatMul',
  'FusedMatMul',
  'BatchMatMul',
  'BatchMatMulV2',
  'ResizeBilinear',
  'ResizeNearestNeighbor',
])

/**
 * The channel axis of a node's output: an index from the start (`>= 0`) or from the end
 * (`< 0`, -1 for last); `null` when it cannot be told (a reshape, a transpose of an
 * unknown layout, inputs that disagree); `undefined` when nothing above says (a model input).
 */
export type ChannelAxis = number | null | undefined

/**
 * The channel axis of `node`'s output, found up the graph: a data format, a dense product,
 * through transposes. With `rank` (the output's, kept by every op walked through), axes
 * are given from the start, so that -1 and 3 of a rank-4 tensor agree.
 */
export function channelAxisOf(
  node: GraphNode,
  weights: Weights,
  rank: number | null = null,
  memo = new Map<GraphNode, ChannelAxis>(),
): ChannelAxis {
  if (memo.has(node)) return memo.get(node)
  memo.set(node, null) // a node reached again while its own inputs are walked (a loop) says nothing yet
  const found = walk(node, weights, rank, memo)
  const at = found !== null && found !== undefined && rank !== null && found < 0 ? rank + found : found
  memo.set(node, at)
  return at
}

function walk(node: GraphNode, weights: Weights, rank: number | null, memo: Map<GraphNode, ChannelAxis>): ChannelAxis {
  const f = node.attrParams['dataFormat']?.value
  // NCHW, NCDHW, NCW: channels right after the batch; NHWC, NDHWC, NWC: channels last
  if (typeof f === 'string' && f.length > 0) return f.toUpperCase().startsWith('NC') ? 1 : -1
  if (CHANNELS_LAST.has(node.op) || FUSED.has(node.op)) return -1
  if (node.op === 'Placeholder') return undefined
  const inputs = node.inputs.filter((i) => i.op !== 'Const')
  if (node.op === 'Transpose') {
    const p = permutation(node, weights)
    const from = inputs[0] === undefined ? undefined : channelAxisOf(inputs[0], weights, p?.length ?? rank, memo)
    if (p === null || from === undefined || from === null) return from === undefined ? undefined : null
    const at = p.indexOf(from < 0 ? p.length + from : from)
    return at < 0 ? null : at - p.length
  }
  if (!KEEPS_AXES.has(node.op)) return null
  // element-wise: the output's axes are each input's, so one input that says is enough
  let agreed: ChannelAxis
  let unknown = false
  for (const input of inputs) {
    const a = channelAxisOf(input, weights, rank, memo)
    if (a === undefined) continue
    if (a === null) unknown = true
    else if (agreed !== undefined && agreed !== null && agreed !== a) return null
    else agreed = a
  }
  if (agreed === undefined && unknown) return null
  return agreed
}

/** A Transpose's constant permutation, or null. */
function permutation(node: GraphNode, weights: Weights): number[] | null {
  const perm = constTensor(node.inputs[1], weights)
  return perm === undefined || perm.rank !== 1 ? null : Array.from(perm.dataSync())
}

/**
 * Whether the batch is still axis 0 of `node`'s output: false after a Transpose that
 * moves it (time-major sequences, a dense output transposed), walked up as the channels are.
 */
export function batchFirst(node: GraphNode, weights: Weights, seen = new Set<GraphNode>()): boolean {
  if (seen.has(node)) return true
  seen.add(node)
  if (node.op === 'Transpose') {
    const p = permutation(node, weights)
    if (p === null || p[0] !== 0) return false
  }
  if (node.op !== 'Transpose' && !KEEPS_AXES.has(node.op)) return true
  return node.inputs.filter((i) => i.op !== 'Const').every((i) => batchFirst(i, weights, seen))
}

/**
 * Units and rank of a node's output, read from the weights up the graph (a convolution's
 * filter, a MatMul's weight, a bias or a normalisation's scale), for graphs that cannot
 * run once synchronously. Null when nothing says.
 */
export function unitsFromWeights(start: GraphNode, weights: Weights, depth = 64): { units: number; dense: boolean } | null {
  const seen = new Set<GraphNode>()
  for (
    let node: GraphNode | undefined = start;
    node !== undefined && !seen.has(node) && depth > 0;
    node = node.inputs.find((i) => i.op !== 'Const')
  ) {
    seen.add(node)
    depth--
    const w = constTensor(node.inputs[1], weights)?.shape
    const op = node.op
    if ((op === 'Conv2D' || op === '_FusedConv2D' || op === 'FusedConv2D') && w?.length === 4) return { units: w[3]!, dense: false }
    if ((op === 'DepthwiseConv2dNative' || op === 'FusedDepthwiseConv2dNative') && w?.length === 4)
      return { units: w[2]! * w[3]!, dense: false }
    if ((op === 'MatMul' || op === '_FusedMatMul' || op === 'FusedMatMul') && w?.length === 2) {
      return { units: node.attrParams['transposeB']?.value === true ? w[0]! : w[1]!, dense: true }
    }
    if (op === 'BiasAdd' && w?.length === 1) return { units: w[0]!, dense: false }
    if (op === 'Placeholder') {
      const shape = node.attrParams['shape']?.value
      const last = Array.isArray(shape) ? shape[shape.length - 1] : undefined
      return typeof last === 'number' && last > 0 ? { units: last, dense: (shape as number[]).length === 2 } : null
    }
    if (op === 'ConcatV2') return concatUnits(node, weights, depth)
    if (op === 'Transpose' || !KEEPS_AXES.has(op)) return null
  }
  return null
}

/** Channels of a concatenation along the last axis (CReLU's `concat([x, -x], -1)`): the sum of its inputs'. */
function concatUnits(node: GraphNode, weights: Weights, depth: number): { units: number; dense: boolean } | null {
  const parts = node.inputs.slice(0, -1)
  const axis = constTensor(node.inputs[node.inputs.length - 1], weights)
  const rank = parts.map((p) => unitsFromWeights(p, weights, depth))
  if (axis === undefined || axis.size !== 1 || rank.some((r) => r === null)) return null
  const a = axis.dataSync()[0]!
  const dense = rank[0]!.dense
  // channels last: axis -1, or 3 for images (1 for a dense product)
  if (a !== -1 && a !== (dense ? 1 : 3)) return null
  return { units: rank.reduce((n, r) => n + r!.units, 0), dense }
}
