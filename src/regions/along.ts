/* regionsAlong(): the activation regions a segment of input space crosses. */
import type { LayersModel } from '@tensorflow/tfjs-layers'
import type { Tensor } from '@tensorflow/tfjs-core'
import { InstrumentError } from '../errors.js'
import { type GraphModelLike, modelAndProbe } from '../instrument/index.js'
import { type Declaration, check, declareOptions, integer } from '../options.js'
import {
  type PatternSampler,
  type RegionTarget,
  SAMPLER_OPTIONS,
  type SamplerOptions,
  inputShape,
  openSampler,
  pointOf,
} from './sampler.js'
import { walkSegments } from './walk.js'

/** Options of {@link regionsAlong}. */
export interface AlongOptions extends SamplerOptions {
  /**
   * Every region wider than this (in t, the segment being [0, 1]) is found, and every
   * breakpoint lies within `tolerance / 2` of a true change (default 1e-5, at least 1e-6:
   * inputs are float32).
   */
  tolerance?: number
  /** Points of the first, even grid is `grid + 1` (default 32). Changes only the speed. */
  grid?: number
}

/** What {@link regionsAlong} found. */
export interface AlongResult {
  /** Activation regions the segment crosses (breakpoints + 1). */
  regions: number
  /** Positions t in (0, 1) where the whole-network pattern changes, ascending, each within `tolerance / 2`. */
  breakpoints: Float64Array
  tolerance: number
  /** Forward evaluations spent (points run through the model). */
  evaluations: number
  /**
   * `'bisection'`: the model is piecewise linear and its pattern fixes the linear piece,
   * so equal patterns enclose no region; `'dense'`: not so (see `reason`), and the walk
   * sampled every `tolerance` before bisecting.
   */
  sampling: 'bisection' | 'dense'
  /** Why the walk had to sample densely, or null. */
  reason: string | null
}

/** The checks of the walk's tolerance and grid (the defaults differ by function). */
export const TOLERANCE = /* @__PURE__ */ check<number>(
  'a number from 1e-6 to 0.5 (inputs are float32)',
  (t) => typeof t === 'number' && t >= 1e-6 && t <= 0.5,
)
export const GRID = /* @__PURE__ */ integer(1, 1e6)

const OPTIONS = /* @__PURE__ */ declareOptions(
  'regionsAlong(model, from, to, options)',
  () =>
    ({
      ...SAMPLER_OPTIONS.fields,
      tolerance: { check: TOLERANCE, default: 1e-5 },
      grid: { check: GRID, default: 32 },
    }) satisfies Declaration<AlongOptions>,
)

/** How a walk sampled, for results. */
export function samplingOf(sampler: PatternSampler): { sampling: 'bisection' | 'dense'; reason: string | null } {
  return { sampling: sampler.nonConvex === null ? 'bisection' : 'dense', reason: sampler.nonConvex }
}

export function samplerOptions(o: SamplerOptions): SamplerOptions {
  return { ...(o.sites === undefined ? {} : { sites: o.sites }), ...(o.batchSize === undefined ? {} : { batchSize: o.batchSize }) }
}

/**
 * The activation regions the segment from `from` to `to` crosses: where along it the
 * whole-network pattern (every ReLU site's bits, as with `network: true`) changes.
 * Finds every region wider than `tolerance` and brackets each change to it (see
 * docs/regions.md for why nothing wider is missed). Works on an instrumented model
 * (through its probe, whose sites then make the pattern) or a bare one (instrumented for
 * the call). The model is left as it was.
 *
 * @example
 * ```ts
 * import { regionsAlong } from 'relu-patterns'
 *
 * const { regions, breakpoints } = await regionsAlong(model, xs.slice([0], [1]), xs.slice([1], [1]))
 * console.log(`${regions} regions; the first change at t = ${breakpoints[0]}`)
 * ```
 */
export async function regionsAlong(target: RegionTarget, from: Tensor, to: Tensor, options: AlongOptions = {}): Promise<AlongResult> {
  const where = 'regionsAlong(model, from, to, options)'
  const { model, probe } = modelAndProbe<LayersModel | GraphModelLike>(target, where)
  const { tolerance, grid } = OPTIONS.parse(options, where)
  const a = pointOf(from, 'from', inputShape(model))
  const b = pointOf(to, 'to', a.shape)
  if (a.values.every((v, i) => v === b.values[i]))
    throw new InstrumentError('INVALID_INPUT', `${where}: from and to are the same point; a segment needs two.`)
  const sampler = openSampler(model, probe, a.shape, samplerOptions(options))
  try {
    const { walked, evaluations } = await walkSegments(sampler, [{ from: a.values, to: b.values }], grid, tolerance)
    const breakpoints = walked[0]!.breakpoints
    return { regions: breakpoints.length + 1, breakpoints, tolerance, evaluations, ...samplingOf(sampler) }
  } finally {
    sampler.dispose()
  }
}
