/* localComplexity(): regions crossed by random lines through each input, or (method: 'polytope') the published count over a cross-polytope. */
import type { LayersModel } from '@tensorflow/tfjs-layers'
import type { Tensor } from '@tensorflow/tfjs-core'
import { normal } from '../bits/random.js'
import { InstrumentError } from '../errors.js'
import { type GraphModelLike, modelAndProbe } from '../instrument/index.js'
import { type Declaration, declareOptions, integer, number, oneOf } from '../options.js'
import { type PolytopeComplexityOptions, type PolytopeComplexityResult, polytopeComplexity } from './polytope.js'
import { GRID, TOLERANCE, samplerOptions, samplingOf } from './along.js'
import { type RegionTarget, SAMPLER_OPTIONS, type SamplerOptions, openSampler, pointOf } from './sampler.js'
import { type Segment, walkSegments } from './walk.js'

/** Options of {@link localComplexity}. */
export interface LocalComplexityOptions extends SamplerOptions {
  /** `'lines'` (the default): regions crossed by lines; `'polytope'`: see {@link PolytopeComplexityOptions}. */
  method?: 'lines'
  /** Half-length of each line through an input, in input units (Euclidean). */
  radius: number
  /** Random lines through each input (default 8). */
  lines?: number
  /** Seed of the directions (default 0): the same seed gives the same lines. */
  seed?: number
  /** As in `regionsAlong`, relative to the line's length 2 * radius (default 1e-4). */
  tolerance?: number
  /** As in `regionsAlong` (default 8). */
  grid?: number
}

/** Local complexity of each input. */
export interface LocalComplexityResult {
  /** Per input, the mean number of regions its lines cross. */
  perInput: Float64Array
  /** Mean over inputs. */
  mean: number
  radius: number
  lines: number
  /** Forward evaluations spent. */
  evaluations: number
  /** As in `regionsAlong`: whether the walks could bisect, and if not why. */
  sampling: 'bisection' | 'dense'
  reason: string | null
}

/** The fields of {@link LocalComplexityOptions} beyond the sampler's (the schedule takes these). */
export const LOCAL_FIELDS = {
  method: { check: /* @__PURE__ */ oneOf(['lines'] as const) },
  radius: { check: /* @__PURE__ */ number(0, Infinity, true) },
  lines: { check: /* @__PURE__ */ integer(1), default: 8 },
  seed: { check: /* @__PURE__ */ integer(), default: 0 },
  tolerance: { check: TOLERANCE, default: 1e-4 },
  grid: { check: GRID, default: 8 },
} as const

/** The declaration of {@link LocalComplexityOptions}. */
export const LOCAL_OPTIONS = /* @__PURE__ */ declareOptions(
  'localComplexity(model, inputs, options)',
  () => ({ ...SAMPLER_OPTIONS.fields, ...LOCAL_FIELDS }) satisfies Declaration<LocalComplexityOptions>,
  { required: true },
)

/**
 * How finely the network cuts input space around each input, in one of two ways.
 *
 * `method: 'lines'` (the default): the mean number of activation regions crossed by
 * `lines` random lines through the input, each from `x - radius * d` to `x + radius * d`
 * with `d` a random unit direction (the same directions for every input). 1 means no
 * boundary within `radius` along those lines.
 *
 * `method: 'polytope'`: local complexity as Humayun et al. (ICML 2024, "Deep networks
 * always grok") define it: the units, per site and in total, whose sign is not the same at
 * every vertex `x ± radius * d` of a cross-polytope of `directions` orthonormal directions
 * (drawn from `seed`, or given). docs/regions.md says how the two relate.
 *
 * @example
 * ```ts
 * import { localComplexity } from 'relu-patterns'
 *
 * const { mean } = await localComplexity(model, testXs.slice([0], [50]), { radius: 0.5 })
 * const published = await localComplexity(model, testXs.slice([0], [50]), { method: 'polytope', radius: 0.5, directions: 25 })
 * console.log(published.mean, published.sites.map((s) => [s.site, s.mean]))
 * ```
 */
export async function localComplexity(target: RegionTarget, inputs: Tensor, options: LocalComplexityOptions): Promise<LocalComplexityResult>
export async function localComplexity(
  target: RegionTarget,
  inputs: Tensor,
  options: PolytopeComplexityOptions,
): Promise<PolytopeComplexityResult>
export async function localComplexity(
  target: RegionTarget,
  inputs: Tensor,
  options: LocalComplexityOptions | PolytopeComplexityOptions,
): Promise<LocalComplexityResult | PolytopeComplexityResult> {
  if ((options as { method?: unknown } | undefined)?.method === 'polytope')
    return polytopeComplexity(target, inputs, options as PolytopeComplexityOptions)
  return linesComplexity(target, inputs, options as LocalComplexityOptions)
}

async function linesComplexity(target: RegionTarget, inputs: Tensor, options: LocalComplexityOptions): Promise<LocalComplexityResult> {
  const where = 'localComplexity(model, inputs, options)'
  const { model, probe } = modelAndProbe<LayersModel | GraphModelLike>(target, where)
  const { radius, lines, seed, tolerance, grid } = checkLocal(options, where)
  const all = pointOf(inputs, 'inputs', null)
  const shape = all.shape.slice(1)
  const n = all.shape[0] ?? 0
  if (all.shape.length < 2 || n === 0)
    throw new InstrumentError(
      'INVALID_INPUT',
      `${where}: inputs must be a batch [n, ...inputShape] with n >= 1, not shape [${all.shape.join(', ')}].`,
    )
  const sampler = openSampler(model, probe, shape, samplerOptions(options))
  try {
    const dims = sampler.dims
    const directions = unitDirections(lines, dims, seed)
    const segments: Segment[] = []
    for (let e = 0; e < n; e++) {
      const x = all.values.subarray(e * dims, (e + 1) * dims)
      for (let l = 0; l < lines; l++) {
        const d = directions.subarray(l * dims, (l + 1) * dims)
        const from = new Float32Array(dims)
        const to = new Float32Array(dims)
        for (let k = 0; k < dims; k++) {
          from[k] = x[k]! - radius * d[k]!
          to[k] = x[k]! + radius * d[k]!
        }
        segments.push({ from, to })
      }
    }
    const { walked, evaluations } = await walkSegments(sampler, segments, grid, tolerance)
    const perInput = new Float64Array(n)
    walked.forEach((w, s) => {
      perInput[Math.floor(s / lines)]! += (w.breakpoints.length + 1) / lines
    })
    const mean = perInput.reduce((a, b) => a + b, 0) / n
    return { perInput, mean, radius, lines, evaluations, ...samplingOf(sampler) }
  } finally {
    sampler.dispose()
  }
}

/** Checks the options of `localComplexity`; returns them with defaults. */
export function checkLocal(
  options: unknown,
  where: string,
): { radius: number; lines: number; seed: number; tolerance: number; grid: number } {
  const { radius, lines, seed, tolerance, grid } = LOCAL_OPTIONS.parse(options, where)
  if (radius === undefined) throw new InstrumentError('INVALID_OPTION', `${where}: radius is required, a positive number.`)
  return { radius, lines, seed, tolerance, grid }
}

/** `count` seeded directions, uniform on the unit sphere of `dims` dimensions. */
function unitDirections(count: number, dims: number, seed: number): Float64Array {
  const next = normal(seed)
  const out = new Float64Array(count * dims)
  for (let l = 0; l < count; l++) {
    let norm = 0
    for (let k = 0; k < dims; k++) {
      const g = next()
      out[l * dims + k] = g
      norm += g * g
    }
    norm = Math.sqrt(norm)
    for (let k = 0; k < dims; k++) out[l * dims + k]! /= norm
  }
  return out
}
