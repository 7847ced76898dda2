/* localComplexity(..., { method: 'polytope' }): units whose sign is not constant over a cross-polytope around each input (Humayun et al. 2024). */
import type { LayersModel } from '@tensorflow/tfjs-layers'
import type { Tensor } from '@tensorflow/tfjs-core'
import { popcount32 } from '../bits/popcount.js'
import { normal } from '../bits/random.js'
import { InstrumentError } from '../errors.js'
import { type GraphModelLike, modelAndProbe } from '../instrument/index.js'
import { type Declaration, check, declareOptions, either, integer, number, oneOf } from '../options.js'
import { type RegionTarget, SAMPLER_OPTIONS, type SamplerOptions, openSampler, pointOf } from './sampler.js'

/** Options of {@link localComplexity} with `method: 'polytope'`. */
export interface PolytopeComplexityOptions extends SamplerOptions {
  method: 'polytope'
  /** Distance of each vertex from the input, in input units (Euclidean). */
  radius: number
  /**
   * The cross-polytope's directions: a count, drawn from `seed` as random orthonormal
   * vectors (default 25), or the vectors themselves (each of the input's size, not zero;
   * used as given, each scaled to unit length).
   */
  directions?: number | readonly ArrayLike<number>[]
  /** Seed of drawn directions (default 0): the same seed gives the same polytope. */
  seed?: number
}

/** Per site (each ReLU site, and each saturation plane), how many of its units change sign. */
export interface PolytopeSite {
  /** The site's id. */
  readonly site: string
  /** Units of the site (times its positions, for conv sites). */
  readonly units: number
  /** Per input, the units whose sign is not the same at every vertex. */
  readonly perInput: Float64Array
  /** Mean over inputs. */
  readonly mean: number
}

/** Local complexity as Humayun et al. (2024) define it, per input, per site and in total. */
export interface PolytopeComplexityResult {
  readonly method: 'polytope'
  /** Per input, the units, over every site, whose sign is not constant over the vertices. */
  readonly perInput: Float64Array
  /** Mean over inputs of `perInput`. */
  readonly mean: number
  /** The same count, site by site, in the model's order. */
  readonly sites: readonly PolytopeSite[]
  readonly radius: number
  /** Directions of the polytope: it has twice as many vertices. */
  readonly directions: number
  /** Forward evaluations spent (vertices times inputs). */
  readonly evaluations: number
}

const DIRECTIONS = /* @__PURE__ */ check<number | readonly ArrayLike<number>[]>(
  'a positive integer or an array of direction vectors',
  (d) =>
    (typeof d === 'number' && Number.isInteger(d) && d >= 1) ||
    (Array.isArray(d) &&
      d.length >= 1 &&
      d.every((v) => v !== null && typeof v === 'object' && typeof (v as ArrayLike<number>).length === 'number')),
)

const POLYTOPE_OPTIONS = /* @__PURE__ */ declareOptions(
  'localComplexity(model, inputs, { method: "polytope", ... })',
  () =>
    ({
      ...SAMPLER_OPTIONS.fields,
      method: { check: oneOf(['polytope'] as const) },
      radius: { check: number(0, Number.POSITIVE_INFINITY, true) },
      directions: { check: either(integer(1), DIRECTIONS), default: 25 as number | readonly ArrayLike<number>[] },
      seed: { check: integer(), default: 0 },
    }) satisfies Declaration<PolytopeComplexityOptions>,
  { required: true },
)

/**
 * The vertices `x ± radius * d` of a cross-polytope around each input are run through the
 * model (one forward pass per batch of vertices); a unit counts when its sign (on or off)
 * is not the same at every vertex. For the first layer that is exactly whether its
 * hyperplane cuts the polytope; deeper, it is the same test on the vertices, as published.
 */
export async function polytopeComplexity(
  target: RegionTarget,
  inputs: Tensor,
  options: PolytopeComplexityOptions,
): Promise<PolytopeComplexityResult> {
  const where = 'localComplexity(model, inputs, { method: "polytope", ... })'
  const { model, probe } = modelAndProbe<LayersModel | GraphModelLike>(target, where)
  const o = POLYTOPE_OPTIONS.parse(options, where)
  if (o.radius === undefined) throw new InstrumentError('INVALID_OPTION', `${where}: radius is required, a positive number.`)
  const radius = o.radius
  const all = pointOf(inputs, 'inputs', null)
  const n = all.shape[0] ?? 0
  if (all.shape.length < 2 || n === 0)
    throw new InstrumentError(
      'INVALID_INPUT',
      `${where}: inputs must be a batch [n, ...inputShape] with n >= 1, not shape [${all.shape.join(', ')}].`,
    )
  const sampler = openSampler(model, probe, all.shape.slice(1), {
    ...(o.sites === undefined ? {} : { sites: o.sites }),
    batchSize: o.batchSize,
  })
  try {
    const dims = sampler.dims
    const d = directionsOf(o.directions, dims, o.seed, where)
    const k = d.length / dims
    const vertices = 2 * k
    const wpr = sampler.wordsPerRow
    const perSite = sampler.parts.map(() => new Float64Array(n))
    const points = new Float32Array(vertices * dims)
    const on = new Uint32Array(wpr)
    const off = new Uint32Array(wpr)
    for (let e = 0; e < n; e++) {
      const x = all.values.subarray(e * dims, (e + 1) * dims)
      for (let v = 0; v < vertices; v++) {
        const sign = v % 2 === 0 ? radius : -radius
        const dir = Math.floor(v / 2) * dims
        for (let i = 0; i < dims; i++) points[v * dims + i] = x[i]! + sign * d[dir + i]!
      }
      const patterns = await sampler.sample(points, vertices)
      // a bit on at some vertex and off at another: OR of the patterns and of their complements
      on.fill(0)
      off.fill(0)
      for (let v = 0; v < vertices; v++)
        for (let w = 0; w < wpr; w++) {
          on[w]! |= patterns[v * wpr + w]!
          off[w]! |= ~patterns[v * wpr + w]!
        }
      sampler.parts.forEach((p, s) => {
        perSite[s]![e] = changedBits(on, off, p.offset, p.units * p.positions)
      })
    }
    const perInput = new Float64Array(n)
    for (const c of perSite) for (let e = 0; e < n; e++) perInput[e]! += c[e]!
    const mean = (a: Float64Array): number => a.reduce((s, v) => s + v, 0) / n
    return {
      method: 'polytope',
      perInput,
      mean: mean(perInput),
      sites: sampler.parts.map((p, s) => ({ site: p.id, units: p.units * p.positions, perInput: perSite[s]!, mean: mean(perSite[s]!) })),
      radius,
      directions: k,
      evaluations: n * vertices,
    }
  } finally {
    sampler.dispose()
  }
}

/** Bits in [from, from + count) on in `on` and in `off` (on at some vertex, off at another). */
function changedBits(on: Uint32Array, off: Uint32Array, from: number, count: number): number {
  let n = 0
  for (let b = from; b < from + count; ) {
    const w = b >>> 5
    const lo = b & 31
    const take = Math.min(32 - lo, from + count - b)
    const mask = take === 32 ? 0xffffffff : ((1 << take) - 1) << lo
    n += popcount32((on[w]! & off[w]! & mask) >>> 0)
    b += take
  }
  return n
}

/** The directions as unit rows of `dims` values: drawn (orthonormal, from `seed`) or given. */
export function directionsOf(given: number | readonly ArrayLike<number>[], dims: number, seed: number, where: string): Float64Array {
  if (typeof given !== 'number') {
    const out = new Float64Array(given.length * dims)
    given.forEach((v, i) => {
      if (v.length !== dims)
        throw new InstrumentError('INVALID_OPTION', `${where}: direction ${i} has ${v.length} values; the input has ${dims}.`)
      let norm = 0
      for (let j = 0; j < dims; j++) norm += Number(v[j]) ** 2
      norm = Math.sqrt(norm)
      if (!(norm > 0) || !Number.isFinite(norm))
        throw new InstrumentError(
          'INVALID_OPTION',
          `${where}: direction ${i} is ${norm === 0 ? 'zero' : 'not finite'}; give directions of finite, non-zero length.`,
        )
      for (let j = 0; j < dims; j++) out[i * dims + j] = Number(v[j]) / norm
    })
    return out
  }
  if (given > dims)
    throw new InstrumentError(
      'INVALID_OPTION',
      `${where}: ${given} orthonormal directions cannot be drawn in ${dims} dimensions; ask for at most ${dims}.`,
    )
  // Gaussian vectors made orthonormal (Gram-Schmidt, twice for accuracy): a random orthonormal frame
  const next = normal(seed)
  const out = new Float64Array(given * dims)
  for (let i = 0; i < given; i++) {
    const row = out.subarray(i * dims, (i + 1) * dims)
    for (let j = 0; j < dims; j++) row[j] = next()
    for (let pass = 0; pass < 2; pass++)
      for (let p = 0; p < i; p++) {
        const prev = out.subarray(p * dims, (p + 1) * dims)
        let dot = 0
        for (let j = 0; j < dims; j++) dot += row[j]! * prev[j]!
        for (let j = 0; j < dims; j++) row[j]! -= dot * prev[j]!
      }
    let norm = 0
    for (let j = 0; j < dims; j++) norm += row[j]! ** 2
    norm = Math.sqrt(norm)
    for (let j = 0; j < dims; j++) row[j]! /= norm
  }
  return out
}
