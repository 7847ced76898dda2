/* The k-nearest-neighbour detector on normalised feature vectors (Sun et al. 2022): fit, merge, scores. */
import { InstrumentError } from '../errors.js'
import { type Declaration, declareOptions, integer } from '../options.js'
import { type Features, checkFeatures } from './feature-vectors.js'

/**
 * A fitted kNN detector: the training feature vectors, each scaled to unit length (an
 * all-zero vector stays zero). Plain data; merging two is taking both sets of vectors.
 */
export interface KnnDetector {
  readonly kind: 'knn'
  readonly dims: number
  /** Which neighbour's distance is the score: 1 for the nearest. */
  readonly k: number
  readonly examples: number
  /** `examples * dims`, each vector of length 1 or 0. */
  readonly vectors: Float32Array
}

const OPTIONS = /* @__PURE__ */ declareOptions(
  'knnFit(features, options)',
  () => ({ k: { check: integer(1, 100_000), default: 1 } }) satisfies Declaration<{ k?: number }>,
)

function normalised(values: Float32Array, at: number, d: number, out: Float32Array, outAt: number): void {
  let s = 0
  for (let j = 0; j < d; j++) s += values[at + j]! * values[at + j]!
  const scale = s > 0 ? 1 / Math.sqrt(s) : 0
  for (let j = 0; j < d; j++) out[outAt + j] = values[at + j]! * scale
}

/**
 * Keeps the training features, normalised to unit length, for {@link knnScores}. `k`
 * (default 1) is which neighbour's distance scores an example: Sun et al. (ICML 2022)
 * use k = 50 on CIFAR-10's 50,000 training images, and a smaller k for fewer examples.
 * Non-finite features are `INVALID_INPUT`.
 *
 * @example
 * ```ts
 * const detector = knnFit(await measureFeatures(model, trainXs, { sites: ['dense3'] }), { k: 1 })
 * ```
 */
export function knnFit(features: Features, options: { k?: number } = {}): KnnDetector {
  const { k } = OPTIONS.parse(options)
  checkFeatures(features, 'knnFit(features, options)', 1)
  const { examples, dims, values } = features
  if (examples < k) throw new InstrumentError('INVALID_INPUT', `knnFit: k is ${k} but there are ${examples} examples.`)
  const bad = values.findIndex((v) => !Number.isFinite(v))
  if (bad >= 0)
    throw new InstrumentError('INVALID_INPUT', `knnFit: feature ${bad % dims} of example ${Math.floor(bad / dims)} is not finite.`)
  const vectors = new Float32Array(examples * dims)
  for (let e = 0; e < examples; e++) normalised(values, e * dims, dims, vectors, e * dims)
  return { kind: 'knn', dims, k, examples, vectors }
}

function checkDetector(m: KnnDetector, where: string): void {
  const ok =
    m !== null &&
    typeof m === 'object' &&
    m.kind === 'knn' &&
    Number.isInteger(m.dims) &&
    m.dims >= 1 &&
    Number.isInteger(m.k) &&
    m.k >= 1 &&
    Number.isInteger(m.examples) &&
    m.examples >= m.k &&
    m.vectors instanceof Float32Array &&
    m.vectors.length === m.examples * m.dims
  if (!ok) throw new InstrumentError('CORRUPT_DATA', `${where}: not a kNN detector made by knnFit.`)
}

/**
 * Both detectors' vectors (fitted on shards of the training data, say): the detector of
 * their union. Scores do not depend on the order. Neither is changed.
 *
 * @example
 * ```ts
 * const all = mergeKnn(knnFit(a), knnFit(b))
 * ```
 */
export function mergeKnn(a: KnnDetector, b: KnnDetector): KnnDetector {
  checkDetector(a, 'mergeKnn(a, b)')
  checkDetector(b, 'mergeKnn(a, b)')
  if (a.dims !== b.dims || a.k !== b.k)
    throw new InstrumentError('MODEL_MISMATCH', 'mergeKnn: the detectors were fitted on different features or with another k.')
  const vectors = new Float32Array(a.vectors.length + b.vectors.length)
  vectors.set(a.vectors)
  vectors.set(b.vectors, a.vectors.length)
  return { kind: 'knn', dims: a.dims, k: a.k, examples: a.examples + b.examples, vectors }
}

/**
 * Per example, the Euclidean distance from its normalised features to the k-th nearest
 * normalised training vector (higher = more likely an outlier). Exhaustive, no approximate index: every training
 * vector is compared (about `examples * dims` multiply-adds per example). An example with
 * a non-finite feature scores Infinity.
 *
 * @example
 * ```ts
 * const scores = knnScores(detector, await measureFeatures(model, xs, { sites: ['dense3'] }))
 * ```
 */
export function knnScores(detector: KnnDetector, features: Features): Float64Array {
  checkDetector(detector, 'knnScores(detector, features)')
  const { dims: d, k, examples: n, vectors } = detector
  checkFeatures(features, 'knnScores(detector, features)')
  if (features.dims !== d)
    throw new InstrumentError('MODEL_MISMATCH', `knnScores: the detector has ${d} features per example; give Features of as many.`)
  const norms = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    let s = 0
    for (let j = 0; j < d; j++) s += vectors[i * d + j]! * vectors[i * d + j]!
    norms[i] = s
  }
  const q = new Float32Array(d)
  const best = new Float64Array(k)
  const out = new Float64Array(features.examples)
  for (let e = 0; e < features.examples; e++) {
    const at = e * d
    let finite = true
    for (let j = 0; j < d; j++) if (!Number.isFinite(features.values[at + j]!)) finite = false
    if (!finite) {
      out[e] = Number.POSITIVE_INFINITY
      continue
    }
    normalised(features.values, at, d, q, 0)
    let qq = 0
    for (let j = 0; j < d; j++) qq += q[j]! * q[j]!
    // the k smallest squared distances so far, ascending
    best.fill(Number.POSITIVE_INFINITY)
    for (let i = 0; i < n; i++) {
      const base = i * d
      let dot = 0
      for (let j = 0; j < d; j++) dot += q[j]! * vectors[base + j]!
      const dist = qq + norms[i]! - 2 * dot
      if (dist >= best[k - 1]!) continue
      let p = k - 1
      while (p > 0 && best[p - 1]! > dist) {
        best[p] = best[p - 1]!
        p--
      }
      best[p] = dist
    }
    out[e] = Math.sqrt(Math.max(0, best[k - 1]!))
  }
  return out
}
