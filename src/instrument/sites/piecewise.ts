/* Whether a model is piecewise linear between its recorded sites, so that regions are convex. */
import type { LayerLike } from './kinds.js'
import type { Site, SkippedSite } from './layers.js'

/**
 * Whether the sets of inputs sharing one pattern are convex, so that a walk may skip
 * between two points with the same pattern. They are when the network is piecewise linear
 * and the pattern fixes its linear piece: every nonlinearity is a recorded ReLU-like site
 * (relu with its saturation plane when capped, leaky ReLU, PReLU) and every other layer is
 * affine at inference (dense, conv, average pooling, batch normalisation, reshapes,
 * sums, ...). Max pooling, products, smooth activations before the output, or a ReLU that
 * is not recorded break it; the reason says which.
 */
export function convexity(model: object, sites: readonly Site[], skipped: readonly SkippedSite[]): string | null {
  const missing = skipped[0]
  if (missing !== undefined) return `ReLU "${missing.id}" is not in the pattern (${missing.reason})`
  const capped = sites.find((s) => s.plane === 'sign' && s.maxValue !== null && !sites.some((t) => t.id === `${s.id}:saturated`))
  if (capped !== undefined) return `capped site "${capped.id}" has no saturation plane`
  const smooth = sites.find((s) => !PIECEWISE_KINDS.has(s.activation))
  if (smooth !== undefined) return `site "${smooth.id}" is ${smooth.activation}, which is not piecewise linear`
  const layers = model as Partial<LayerLike> & { outputLayers?: readonly LayerLike[] }
  if (Array.isArray(layers.layers)) return layersConvexity(layers as LayerLike, new Set(layers.outputLayers ?? []))
  return graphConvexity(model)
}

const PIECEWISE_KINDS = new Set<string>(['relu', 'relu6', 'relu-capped', 'leakyRelu', 'prelu'])

/** Layers that are affine at inference (or reshape, or join affinely), or are the ReLU-like sites themselves. */
const AFFINE_LAYERS = new Set([
  'InputLayer',
  'Dense',
  'Conv1D',
  'Conv2D',
  'Conv3D',
  'Conv2DTranspose',
  'Conv3DTranspose',
  'DepthwiseConv2D',
  'SeparableConv2D',
  'Flatten',
  'Reshape',
  'Permute',
  'RepeatVector',
  'Add',
  'Subtract',
  'Average',
  'Concatenate',
  'AveragePooling1D',
  'AveragePooling2D',
  'AveragePooling3D',
  'GlobalAveragePooling1D',
  'GlobalAveragePooling2D',
  'ZeroPadding1D',
  'ZeroPadding2D',
  'ZeroPadding3D',
  'Cropping1D',
  'Cropping2D',
  'UpSampling2D',
  'BatchNormalization',
  'Dropout',
  'SpatialDropout1D',
  'SpatialDropout2D',
  'GaussianNoise',
  'GaussianDropout',
  'AlphaDropout',
  'ReLU',
  'LeakyReLU',
  'PReLU',
  'Activation',
])
const PIECEWISE_ACTIVATIONS = new Set(['linear', 'relu', 'relu6', undefined])

function layersConvexity(model: LayerLike, outputs: ReadonlySet<LayerLike>): string | null {
  for (const layer of model.layers ?? []) {
    if (Array.isArray(layer.layers)) {
      const inner = layersConvexity(layer, new Set())
      if (inner !== null) return inner
      continue
    }
    const cls = layer.getClassName()
    if (!AFFINE_LAYERS.has(cls)) return `layer "${layer.name}" (${cls}) is not affine between ReLUs`
    const activation = (layer.getConfig() as { activation?: unknown }).activation
    if (!PIECEWISE_ACTIVATIONS.has(activation as string | undefined) && !outputs.has(layer)) {
      return `layer "${layer.name}" applies ${String(activation)} before the output`
    }
  }
  return null
}

/** Graph ops that are affine (or shape-only) at inference, or ReLUs. */
const AFFINE_OPS = new Set([
  'Placeholder',
  'Const',
  'Identity',
  'NoOp',
  'MatMul',
  'BatchMatMul',
  'BatchMatMulV2',
  'Conv2D',
  'Conv1D',
  'DepthwiseConv2dNative',
  'Conv2DBackpropInput',
  'BiasAdd',
  'Add',
  'AddV2',
  'AddN',
  'Sub',
  'Neg',
  'Reshape',
  'Squeeze',
  'ExpandDims',
  'Pad',
  'PadV2',
  'MirrorPad',
  'AvgPool',
  'Mean',
  'Sum',
  'ConcatV2',
  'Concat',
  'FusedBatchNorm',
  'FusedBatchNormV3',
  'Transpose',
  'Shape',
  'StridedSlice',
  'Slice',
  'Pack',
  'Unpack',
  'Split',
  'SplitV',
  'Tile',
  'Relu',
  'Relu6',
  'LeakyRelu',
  'Prelu',
  'Cast',
  'ResizeNearestNeighbor',
  'DepthToSpace',
  'SpaceToDepth',
])
const FUSED_OK = new Set(['biasadd', 'relu', 'relu6', 'add', 'leakyrelu', 'prelu', 'fusedbatchnorm'])
const OUTPUT_OK = new Set(['Softmax', 'Sigmoid', 'LogSoftmax', 'Tanh', 'ArgMax'])

interface Node {
  readonly name: string
  readonly op: string
  readonly inputs: readonly Node[]
  readonly children: readonly Node[]
  readonly attrParams: Readonly<Record<string, { value?: unknown } | undefined>>
}

function graphConvexity(model: object): string | null {
  const nodes = (model as { executor?: { graph?: { nodes?: Record<string, Node> } } }).executor?.graph?.nodes
  if (nodes === undefined) return 'the model is neither a layers nor a graph model this library can read'
  for (const node of Object.values(nodes)) {
    if (AFFINE_OPS.has(node.op)) continue
    if (node.op.includes('Fused')) {
      const ops = node.attrParams['fusedOps']?.value
      if (Array.isArray(ops) && ops.every((o) => FUSED_OK.has(String(o).toLowerCase()))) continue
      return `graph node "${node.name}" fuses ${Array.isArray(ops) ? ops.join(', ') : 'unknown ops'}`
    }
    // a product or quotient by a constant is affine
    if ((node.op === 'Mul' || node.op === 'RealDiv') && node.inputs.some((i) => i.op === 'Const')) continue
    if (OUTPUT_OK.has(node.op) && node.children.length === 0) continue
    return `graph node "${node.name}" (${node.op}) is not affine between ReLUs`
  }
  return null
}
