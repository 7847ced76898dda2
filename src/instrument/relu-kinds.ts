import type { DataFormat } from '../record/recorder.js'

/*
 * What kind of ReLU a layer applies, what the library sees but cannot record, and which
 * axis of a standalone activation's output holds the channels.
 */

/** Which ReLU a site applies. */
export type ReluKind = 'relu' | 'relu6' | 'relu-capped'

/** Why a ReLU the library saw is not recorded. */
export type SkipReason = 'wrapped' | 'recurrent' | 'not-a-relu' | 'not-selected' | 'control-flow'

/** The parts of a tfjs-layers Layer this library touches. */
export interface LayerLike {
  name: string
  getClassName(): string
  getConfig(): Record<string, unknown>
  call: (inputs: unknown, kwargs: Record<string, unknown>) => unknown
  readonly outputShape: unknown
  inboundNodes?: readonly { outputShapes?: unknown; inboundLayers?: readonly LayerLike[] }[]
  layers?: readonly LayerLike[]
  /** tfjs-layers containers: keys `<layer name>_ib-<node index>` of the nodes in their graph. */
  containerNodes?: Set<string>
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

const RELU_ACTIVATIONS = new Set(['relu', 'relu6'])
const RECURRENT = new Set(['SimpleRNN', 'LSTM', 'GRU', 'ConvLSTM2D', 'RNN', 'SimpleRNNCell', 'LSTMCell', 'GRUCell'])
const WRAPPERS = new Set(['TimeDistributed', 'Bidirectional'])
const LEAKY = new Set(['LeakyReLU', 'PReLU', 'ThresholdedReLU'])

/** The ReLU applied by a layer's own output, or null when the layer is not a recordable site. */
export function reluOf(className: string, config: Record<string, unknown>): { kind: ReluKind; maxValue: number | null } | null {
  if (className === 'ReLU') {
    const max = config['maxValue']
    return typeof max === 'number' ? { kind: 'relu-capped', maxValue: max } : { kind: 'relu', maxValue: null }
  }
  if (className === 'Activation' || FUSED.has(className)) {
    if (config['activation'] === 'relu') return { kind: 'relu', maxValue: null }
    if (config['activation'] === 'relu6') return { kind: 'relu6', maxValue: 6 }
  }
  if (className === 'TimeDistributed') {
    // a Dense, Conv or ReLU applied at every time step: its output is the activated one
    const inner = config['layer'] as { className?: unknown; config?: Record<string, unknown> } | undefined
    const ok = typeof inner?.className === 'string' && inner.config !== undefined && inner.config['dataFormat'] !== 'channelsFirst'
    if (ok && !WRAPPERS.has(inner.className as string)) return reluOf(inner.className as string, inner.config!)
  }
  return null
}

/** True for a layer given to a wrapper or cell (a `{ className, config }` record) that applies a ReLU. */
function appliesRelu(inner: unknown): boolean {
  if (typeof inner !== 'object' || inner === null) return false
  const { className, config } = inner as { className?: unknown; config?: Record<string, unknown> }
  if (typeof className !== 'string' || config === undefined) return false
  if (reluOf(className, config) !== null) return true
  if (RECURRENT.has(className)) return recurrentRelu(config) !== null
  if (WRAPPERS.has(className)) return appliesRelu(config['layer'])
  // a model given to a wrapper: its config lists its layers
  const layers = config['layers']
  return Array.isArray(layers) && layers.some(appliesRelu)
}

function recurrentRelu(config: Record<string, unknown>): string | null {
  for (const key of ['activation', 'recurrentActivation']) {
    if (RELU_ACTIVATIONS.has(config[key] as string)) return `${key} '${String(config[key])}'`
  }
  return appliesRelu(config['cell']) ? 'a cell with a ReLU' : null
}

/**
 * Why a layer that applies a ReLU somewhere inside cannot be recorded, or null when it
 * either is a site or holds no ReLU.
 */
export function skipReasonOf(className: string, config: Record<string, unknown>): { reason: SkipReason; detail: string } | null {
  if (WRAPPERS.has(className) && appliesRelu(config['layer']) && reluOf(className, config) === null) {
    return {
      reason: 'wrapped',
      detail: `${className} runs its inner layer on slices or clones of it, and the inner layer is not a Dense, Conv or ReLU whose output it returns; the inner ReLU's output is not a tensor the tap sees.`,
    }
  }
  if (RECURRENT.has(className)) {
    const which = recurrentRelu(config)
    if (which !== null) {
      return {
        reason: 'recurrent',
        detail: `${className} applies ${which} inside its cell at every time step; the layer's output does not show those patterns.`,
      }
    }
  }
  if (LEAKY.has(className)) {
    return {
      reason: 'not-a-relu',
      detail: `${className} passes negative values through, so its sign pattern is not a ReLU's on/off state.`,
    }
  }
  return null
}

/**
 * Layers that keep their input's axis order: element-wise ones, merges, noise, and
 * normalisations (whose `axis` says what the user normalises, not where the channels
 * are: a BatchNormalization left at axis -1 after a channelsFirst conv is a user's
 * mistake, not evidence of the layout).
 */
const KEEPS_AXES = new Set([
  'Activation', 'ReLU', 'LeakyReLU', 'PReLU', 'ELU', 'ThresholdedReLU', 'Softmax', 'Dropout', 'SpatialDropout1D',
  'GaussianNoise', 'GaussianDropout', 'AlphaDropout', 'Add', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Concatenate',
  'Masking', 'BatchNormalization', 'LayerNormalization',
])

/**
 * Which axis of `layer`'s output holds the channels, found by walking back through layers
 * that keep the axis order to one that says: a layer with a `dataFormat` (convolutions,
 * pooling, padding, upsampling) or a `Dense` (units last). Null when it cannot be known
 * (a model input, a reshape, a custom layer, or disagreeing inputs).
 */
export function dataFormatOf(layer: LayerLike, memo = new Map<LayerLike, DataFormat | null>()): DataFormat | null {
  const known = memo.get(layer)
  if (known !== undefined) return known
  memo.set(layer, null) // a layer reached again while its own inputs are walked has no answer yet
  const found = walkFormat(layer, memo)
  memo.set(layer, found)
  return found
}

function walkFormat(layer: LayerLike, memo: Map<LayerLike, DataFormat | null>): DataFormat | null {
  const cls = layer.getClassName()
  const config = layer.getConfig()
  const format = config['dataFormat']
  if (format === 'channelsFirst' || format === 'channelsLast') return format
  if (cls === 'Dense') return 'channelsLast'
  if (!KEEPS_AXES.has(cls)) return null
  const inbound = layer.inboundNodes?.[0]?.inboundLayers ?? []
  let agreed: DataFormat | null = null
  for (const source of inbound) {
    const f = dataFormatOf(source, memo)
    if (f === null || (agreed !== null && f !== agreed)) return null
    agreed = f
  }
  return agreed
}
