/* Which layers and activations are ReLU sites, which are other kinds, and which are skipped and why. */
import type { DataFormat } from '../../record/recorder.js'

/*
 * What kind of ReLU a layer applies, what the library sees but cannot record, and which
 * axis of a standalone activation's output holds the channels.
 */

/**
 * Which activation a site applies: the ReLU family (`relu`, `relu6`, `relu-capped`), or a
 * kind recorded only when asked for with the `activations` option.
 */
export type ReluKind =
  | 'relu'
  | 'relu6'
  | 'relu-capped'
  | 'leakyRelu'
  | 'prelu'
  | 'elu'
  | 'selu'
  | 'gelu'
  | 'swish'
  | 'mish'
  | 'hardSwish'
  | 'hardSigmoid'

/**
 * Kinds of activation a probe records (`instrument(model, { activations })`): `'relu'` (the
 * default: relu, relu6 and capped ReLUs), and opt-in `'leakyRelu'`, `'prelu'` (piecewise
 * linear with the same regions as a ReLU), `'elu'`, `'selu'`, `'gelu'`, `'swish'`, `'mish'`,
 * and, in graph models, `'hardSwish'` and `'hardSigmoid'` built on `Relu6(x + 3)`.
 * For every kind but the last two the pattern is the sign of the activation's input; for
 * those it is the sign of `x + 3` (on where `x > -3`), with `x >= 3` as saturation plane.
 *
 * @example
 * ```ts
 * const probe = instrument(model, { activations: ['relu', 'prelu'] })
 * ```
 */
export type ActivationKind = 'relu' | 'leakyRelu' | 'prelu' | 'elu' | 'selu' | 'gelu' | 'swish' | 'mish' | 'hardSwish' | 'hardSigmoid'

export const ACTIVATION_KINDS: readonly ActivationKind[] = [
  'relu',
  'leakyRelu',
  'prelu',
  'elu',
  'selu',
  'gelu',
  'swish',
  'mish',
  'hardSwish',
  'hardSigmoid',
]

/** Smooth activations by their tfjs names: positive exactly where their input is. */
const SMOOTH: Readonly<Record<string, ActivationKind>> = {
  elu: 'elu',
  selu: 'selu',
  gelu: 'gelu',
  gelu_new: 'gelu',
  swish: 'swish',
  mish: 'mish',
}

/** A site's activation; `input` when its bits must be read from the input (the output's sign can differ). */
export interface SiteKind {
  kind: ReluKind
  maxValue: number | null
  input?: boolean
}

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
const FUSED = new Set(['Dense', 'Conv1D', 'Conv2D', 'Conv3D', 'Conv2DTranspose', 'Conv3DTranspose', 'SeparableConv2D', 'DepthwiseConv2D'])

const RELU_ACTIVATIONS = new Set(['relu', 'relu6'])
const RECURRENT = new Set(['SimpleRNN', 'LSTM', 'GRU', 'ConvLSTM2D', 'RNN', 'SimpleRNNCell', 'LSTMCell', 'GRUCell'])
const WRAPPERS = new Set(['TimeDistributed', 'Bidirectional'])
const LEAKY = new Set(['LeakyReLU', 'PReLU', 'ThresholdedReLU'])

/** The activation a layer applies that is recorded (`kinds`), or null when the layer is not a site. */
export function reluOf(
  className: string,
  config: Record<string, unknown>,
  kinds: ReadonlySet<ActivationKind> = RELU_ONLY,
): SiteKind | null {
  const extra = otherKind(className, config, kinds)
  if (extra !== null) return extra
  if (className === 'TimeDistributed') {
    // a Dense, Conv or activation applied at every time step: its output is the activated one
    const inner = config['layer'] as { className?: unknown; config?: Record<string, unknown> } | undefined
    const ok = typeof inner?.className === 'string' && inner.config !== undefined && inner.config['dataFormat'] !== 'channelsFirst'
    return ok && !WRAPPERS.has(inner.className as string) ? reluOf(inner.className as string, inner.config!, kinds) : null
  }
  if (!kinds.has('relu')) return null
  if (className === 'ReLU') {
    const max = config['maxValue']
    return typeof max === 'number' ? { kind: 'relu-capped', maxValue: max } : { kind: 'relu', maxValue: null }
  }
  if (className === 'Activation' || FUSED.has(className)) {
    if (config['activation'] === 'relu') return { kind: 'relu', maxValue: null }
    if (config['activation'] === 'relu6') return { kind: 'relu6', maxValue: 6 }
  }
  return null
}

const RELU_ONLY: ReadonlySet<ActivationKind> = new Set(['relu'])

/** The opt-in kinds: leaky and parametric ReLUs, and smooth activations. */
function otherKind(className: string, config: Record<string, unknown>, kinds: ReadonlySet<ActivationKind>): SiteKind | null {
  if (className === 'LeakyReLU' && kinds.has('leakyRelu')) {
    const alpha = typeof config['alpha'] === 'number' ? config['alpha'] : 0.3
    return { kind: 'leakyRelu', maxValue: null, input: alpha < 0 }
  }
  // PReLU's slopes are trained and may turn negative: its bits always come from its input
  if (className === 'PReLU' && kinds.has('prelu')) return { kind: 'prelu', maxValue: null, input: true }
  if (className === 'ELU' && kinds.has('elu')) return { kind: 'elu', maxValue: null }
  if (className === 'Activation' || FUSED.has(className)) {
    const smooth = SMOOTH[String(config['activation'])]
    if (smooth !== undefined && kinds.has(smooth)) return { kind: smooth, maxValue: null }
  }
  return null
}

/** True for a layer given to a wrapper or cell (a `{ className, config }` record) that applies a ReLU. */
function appliesRelu(inner: unknown): boolean {
  if (typeof inner !== 'object' || inner === null) return false
  const { className, config } = inner as { className?: unknown; config?: Record<string, unknown> }
  if (typeof className !== 'string' || config === undefined) return false
  if (reluOf(className, config) !== null || LEAKY.has(className)) return true
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
export function skipReasonOf(
  className: string,
  config: Record<string, unknown>,
  kinds: ReadonlySet<ActivationKind> = RELU_ONLY,
): { reason: SkipReason; detail: string } | null {
  if (reluOf(className, config, kinds) !== null) return null
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
      detail: `${className} passes negative values through, so its sign pattern is not a ReLU's on/off state (record it with the activations option).`,
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
  'Activation',
  'ReLU',
  'LeakyReLU',
  'PReLU',
  'ELU',
  'ThresholdedReLU',
  'Softmax',
  'Dropout',
  'SpatialDropout1D',
  'GaussianNoise',
  'GaussianDropout',
  'AlphaDropout',
  'Add',
  'Multiply',
  'Average',
  'Maximum',
  'Minimum',
  'Concatenate',
  'Masking',
  'BatchNormalization',
  'LayerNormalization',
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
