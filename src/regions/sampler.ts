/* Running a model (or its probe) at points of our choosing and returning their whole-network patterns. */
import type { LayersModel } from '@tensorflow/tfjs-layers'
import type { Tensor } from '@tensorflow/tfjs-core'
import { tensor } from '@tensorflow/tfjs-core'
import { wordsFor } from '../bits/pack.js'
import { InstrumentError } from '../errors.js'
import type { ReducerMap } from '../reducer.js'
import {
  convexity,
  instrument,
  isTensor,
  joinPatterns,
  networkSite,
  type GraphModelLike,
  type InstrumentOptions,
  type NetworkPart,
  type Probe,
  type Site,
} from '../instrument/index.js'
import { type Declaration, declareOptions, either, fn, integer, strings } from '../options.js'

/** What the region functions take: a model, or a live probe of one (its sites then make the pattern). */
export type RegionTarget = LayersModel | GraphModelLike | Probe<ReducerMap>

/** Options shared by the functions that run a model at points of their own choosing. */
export interface SamplerOptions {
  /** Sites whose bits make the whole-network pattern (default all; the live probe's sites when the model is instrumented). */
  sites?: InstrumentOptions<ReducerMap>['sites']
  /** Points per forward pass (default 512). */
  batchSize?: number
}

/** The declaration of {@link SamplerOptions}, shared by every region function. */
export const SAMPLER_OPTIONS = /* @__PURE__ */ declareOptions(
  'regions(model, options)',
  () =>
    ({
      sites: { check: either(strings, fn<(site: Site) => boolean>()) },
      batchSize: { check: integer(1), default: 512 },
    }) satisfies Declaration<SamplerOptions>,
)

/** Runs a model on points given as plain rows and returns their whole-network patterns. */
export interface PatternSampler {
  /** Shape of one input, without the batch axis. */
  readonly shape: readonly number[]
  /** Values per input. */
  readonly dims: number
  /** Where each site's bits sit in a pattern. */
  readonly parts: readonly NetworkPart[]
  /** Bits per whole-network pattern. */
  readonly units: number
  readonly wordsPerRow: number
  /**
   * Null when the inputs sharing a pattern form convex sets (see `convexity`), else why
   * not: a walk must then sample densely instead of skipping between equal patterns.
   */
  readonly nonConvex: string | null
  /** Whole-network patterns of `count` points, the rows of `points` (`count * dims` values). */
  sample(points: Float32Array, count: number): Promise<Uint32Array>
  /** Removes the sampler's own instrumentation, if it made one. */
  dispose(): void
}

/**
 * One input as plain float32 values and its shape without a batch axis: a tensor of shape
 * `shape`, or `[1, ...shape]` (null dimensions of `shape` match any size).
 */
export function pointOf(value: unknown, what: string, shape: readonly (number | null)[] | null): { values: Float32Array; shape: number[] } {
  if (!isTensor(value))
    throw new InstrumentError('INVALID_INPUT', `${what} must be a tensor of one input (shape [...inputShape] or [1, ...inputShape]).`)
  if (value.isDisposed) throw new InstrumentError('INVALID_INPUT', `${what} has been disposed. Pass a live tensor.`)
  const own = shape !== null && value.shape[0] === 1 && value.shape.length === shape.length + 1 ? value.shape.slice(1) : [...value.shape]
  if (shape !== null && (own.length !== shape.length || own.some((d, i) => shape[i] !== null && d !== shape[i]))) {
    throw new InstrumentError(
      'INVALID_INPUT',
      `${what} has shape [${value.shape.join(', ')}], but it must have shape [${shape.map(String).join(', ')}].`,
    )
  }
  const values = Float32Array.from(value.dataSync())
  const bad = values.findIndex((v) => !Number.isFinite(v))
  // a walk from or toward NaN or Infinity meets one region whatever the model: no reading
  if (bad >= 0)
    throw new InstrumentError(
      'INVALID_INPUT',
      `${what} holds ${values[bad]} at index ${bad}; points and directions must be finite numbers.`,
    )
  return { values, shape: own }
}

/** The model's input shape without the batch axis, or null where it is not fixed; refuses models with several inputs. */
export function inputShape(model: object): (number | null)[] | null {
  const layers = (model as Partial<LayersModel>).inputs
  const graph = (model as { inputs?: readonly { shape?: readonly number[] }[] }).inputs
  const inputs = layers ?? graph
  if (inputs === undefined) return null
  if (inputs.length !== 1)
    throw new InstrumentError(
      'INVALID_INPUT',
      `The model takes ${inputs.length} inputs; regions are defined here for models with one input.`,
    )
  const shape = inputs[0]!.shape
  return shape === undefined ? null : shape.slice(1).map((d) => (d === -1 ? null : d))
}

/**
 * A sampler for `model` at inputs shaped like `example`. Uses `live` (the probe given, or the model's own) when
 * it has one (its sites, minus the whole-network site), or instruments it for the
 * sampler's lifetime.
 */
export function openSampler(
  model: LayersModel | GraphModelLike,
  live: Probe<ReducerMap> | undefined,
  example: readonly number[],
  o: SamplerOptions,
): PatternSampler {
  const expected = inputShape(model)
  if (expected !== null && (expected.length !== example.length || expected.some((d, i) => d !== null && d !== example[i]))) {
    throw new InstrumentError(
      'INVALID_INPUT',
      `The points have shape [${example.join(', ')}], but the model takes [${expected.map(String).join(', ')}].`,
    )
  }
  const batchSize = o.batchSize ?? SAMPLER_OPTIONS.fields.batchSize.default
  if (live !== undefined && o.sites !== undefined) {
    throw new InstrumentError(
      'INVALID_OPTION',
      "The model is instrumented, so its probe's sites make the pattern; drop the sites option, or dispose the probe first.",
    )
  }
  // every piecewise-linear kind, with the saturation planes of capped ReLUs: the pattern then fixes the linear piece
  const probe: Probe<ReducerMap> =
    live ??
    instrument(model, {
      reducers: {},
      saturation: true,
      activations: ['relu', 'leakyRelu', 'prelu'],
      ...(o.sites === undefined ? {} : { sites: o.sites }),
    })
  try {
    const sites = probe.sites.filter((s) => s.plane !== 'network')
    const { parts } = networkSite(sites)
    const nonConvex = convexity(model, sites, probe.skipped)
    const units = parts.reduce((n, p) => n + p.units * p.positions, 0)
    const wordsPerRow = wordsFor(units)
    const dims = example.reduce((a, b) => a * b, 1)
    const run = model as { predict(x: Tensor): unknown }
    return {
      shape: example,
      dims,
      parts,
      units,
      wordsPerRow,
      nonConvex,
      async sample(points, count) {
        const out = new Uint32Array(count * wordsPerRow)
        for (let start = 0; start < count; start += batchSize) {
          const n = Math.min(batchSize, count - start)
          const chunk = points.subarray(start * dims, (start + n) * dims)
          // points made from finite ones can still overflow float32 (a huge radius or extent): no reading then
          const bad = chunk.findIndex((v) => !Number.isFinite(v))
          if (bad >= 0)
            throw new InstrumentError(
              'INVALID_INPUT',
              `A point of the walk is ${chunk[bad]} (a coordinate past float32's range): make the radius, extent or directions smaller.`,
            )
          const x = tensor(chunk, [n, ...example], 'float32')
          let captured: ReturnType<Probe<ReducerMap>['capture']>
          try {
            captured = probe.capture(() => run.predict(x))
          } catch (error) {
            if (error instanceof InstrumentError) throw error
            throw new InstrumentError(
              'INVALID_INPUT',
              `The model could not run on the points (${String(error)}); regions need a model that runs synchronously (predict), on one input.`,
              { cause: error },
            )
          } finally {
            x.dispose()
          }
          dispose(captured.value)
          const rows = await captured.patterns
          if (rows === null)
            throw new InstrumentError('INVALID_INPUT', 'Patterns at points cannot be taken inside a running measure() of the same model.')
          joinPatterns(rows, parts, n, out, start, wordsPerRow)
        }
        return out
      },
      dispose() {
        if (live === undefined) probe.dispose()
      },
    }
  } catch (error) {
    if (live === undefined) probe.dispose()
    if (error instanceof InstrumentError && error.code === 'INVALID_OPTION') {
      throw new InstrumentError(
        'INVALID_INPUT',
        error.message.replace('network: true cannot be used', 'Whole-network patterns cannot be taken'),
        { cause: error },
      )
    }
    throw error
  }
}

function dispose(value: unknown): void {
  if (isTensor(value)) value.dispose()
  else if (Array.isArray(value)) for (const v of value) dispose(v)
  else if (typeof value === 'object' && value !== null) for (const v of Object.values(value)) dispose(v)
}
