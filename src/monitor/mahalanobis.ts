/* The class-conditional Mahalanobis detector (shared covariance) on feature vectors: fit, merge, scores. */
import { InstrumentError } from '../errors.js'
import { type Declaration, declareOptions, number } from '../options.js'
import { type Features, checkFeatures } from './feature-vectors.js'

/**
 * A fitted Mahalanobis detector (Lee et al., NeurIPS 2018, without input preprocessing or
 * layer ensembles): per class, the count and mean of its feature vectors, and the scatter
 * matrix pooled over classes, `sum over examples of (x - mean of its class)(x - mean)^T`.
 * Plain data: it can be cloned, serialised and merged.
 */
export interface MahalanobisDetector {
  readonly kind: 'mahalanobis'
  readonly dims: number
  readonly classes: number
  /** Examples per class. */
  readonly counts: Float64Array
  /** `classes * dims`: each class's mean vector. */
  readonly means: Float64Array
  /** `dims * dims`, symmetric: the pooled within-class scatter. */
  readonly scatter: Float64Array
  /** Added to the covariance's diagonal, relative to its mean diagonal (see {@link mahalanobisScores}). */
  readonly ridge: number
}

const OPTIONS = /* @__PURE__ */ declareOptions(
  'mahalanobisFit(features, labels, options)',
  () => ({ ridge: { check: number(0), default: 1e-6 } }) satisfies Declaration<{ ridge?: number }>,
)

/**
 * Fits the class-conditional Gaussian with a shared covariance to `features`, one label per
 * example (integers from 0). Two passes over the data (class means, then the scatter about
 * them), so the result does not lose precision to large means. Non-finite features are
 * `INVALID_INPUT`.
 *
 * @example
 * ```ts
 * const train = await measureFeatures(model, trainXs, { sites: ['dense2', 'dense3'] })
 * const detector = mahalanobisFit(train, trainLabels)
 * const scores = mahalanobisScores(detector, await measureFeatures(model, xs, { sites: ['dense2', 'dense3'] }))
 * ```
 */
export function mahalanobisFit(features: Features, labels: ArrayLike<number>, options: { ridge?: number } = {}): MahalanobisDetector {
  const { ridge } = OPTIONS.parse(options)
  checkFeatures(features, 'mahalanobisFit(features, labels)', 1)
  const { examples: n, dims: d, values } = features
  if (labels === null || typeof labels !== 'object' || labels.length !== n)
    throw new InstrumentError('INVALID_INPUT', `mahalanobisFit: give one label per example (${n}), not ${labels?.length}.`)
  let classes = 0
  for (let e = 0; e < n; e++) {
    const y = labels[e]!
    if (!Number.isInteger(y) || y < 0)
      throw new InstrumentError('INVALID_INPUT', `mahalanobisFit: labels[${e}] is ${y}; labels are class indexes from 0.`)
    classes = Math.max(classes, y + 1)
  }
  const bad = values.findIndex((v) => !Number.isFinite(v))
  if (bad >= 0)
    throw new InstrumentError('INVALID_INPUT', `mahalanobisFit: feature ${bad % d} of example ${Math.floor(bad / d)} is not finite.`)
  const counts = new Float64Array(classes)
  const means = new Float64Array(classes * d)
  for (let e = 0; e < n; e++) {
    const c = labels[e]!
    counts[c]!++
    for (let j = 0; j < d; j++) means[c * d + j]! += values[e * d + j]!
  }
  for (let c = 0; c < classes; c++) for (let j = 0; j < d; j++) if (counts[c]! > 0) means[c * d + j]! /= counts[c]!
  const scatter = new Float64Array(d * d)
  const centred = new Float64Array(d)
  for (let e = 0; e < n; e++) {
    const c = labels[e]!
    for (let j = 0; j < d; j++) centred[j] = values[e * d + j]! - means[c * d + j]!
    addOuter(scatter, centred, d, 1)
  }
  mirror(scatter, d)
  return { kind: 'mahalanobis', dims: d, classes, counts, means, scatter, ridge }
}

/** `s += w * v v^T` on the upper triangle (j <= k). */
function addOuter(s: Float64Array, v: Float64Array, d: number, w: number): void {
  for (let j = 0; j < d; j++) {
    const vj = w * v[j]!
    if (vj === 0) continue
    const row = j * d
    for (let k = j; k < d; k++) s[row + k]! += vj * v[k]!
  }
}

/** Copies the upper triangle onto the lower. */
function mirror(s: Float64Array, d: number): void {
  for (let j = 0; j < d; j++) for (let k = j + 1; k < d; k++) s[k * d + j] = s[j * d + k]!
}

function checkDetector(m: MahalanobisDetector, where: string): void {
  const ok =
    m !== null &&
    typeof m === 'object' &&
    m.kind === 'mahalanobis' &&
    Number.isInteger(m.dims) &&
    m.dims >= 1 &&
    Number.isInteger(m.classes) &&
    m.classes >= 1 &&
    m.counts instanceof Float64Array &&
    m.counts.length === m.classes &&
    m.means instanceof Float64Array &&
    m.means.length === m.classes * m.dims &&
    m.scatter instanceof Float64Array &&
    m.scatter.length === m.dims * m.dims &&
    typeof m.ridge === 'number' &&
    m.ridge >= 0 &&
    m.counts.every((c) => Number.isInteger(c) && c >= 0)
  if (!ok) throw new InstrumentError('CORRUPT_DATA', `${where}: not a Mahalanobis detector made by mahalanobisFit.`)
}

/**
 * The detector of both data sets (fitted on shards, say): exactly the fit of their union
 * up to rounding (Chan et al.'s pooled update of means and scatter). Neither is changed.
 *
 * @example
 * ```ts
 * const all = mergeMahalanobis(mahalanobisFit(a, labelsA), mahalanobisFit(b, labelsB))
 * ```
 */
export function mergeMahalanobis(a: MahalanobisDetector, b: MahalanobisDetector): MahalanobisDetector {
  checkDetector(a, 'mergeMahalanobis(a, b)')
  checkDetector(b, 'mergeMahalanobis(a, b)')
  if (a.dims !== b.dims || a.ridge !== b.ridge)
    throw new InstrumentError('MODEL_MISMATCH', 'mergeMahalanobis: the detectors were fitted on different features or with another ridge.')
  const d = a.dims
  const classes = Math.max(a.classes, b.classes)
  const counts = new Float64Array(classes)
  const means = new Float64Array(classes * d)
  const scatter = a.scatter.slice()
  for (let j = 0; j < d * d; j++) scatter[j]! += b.scatter[j]!
  const delta = new Float64Array(d)
  for (let c = 0; c < classes; c++) {
    const na = c < a.classes ? a.counts[c]! : 0
    const nb = c < b.classes ? b.counts[c]! : 0
    counts[c] = na + nb
    if (na + nb === 0) continue
    for (let j = 0; j < d; j++) {
      const ma = na > 0 ? a.means[c * d + j]! : 0
      const mb = nb > 0 ? b.means[c * d + j]! : 0
      delta[j] = mb - ma
      means[c * d + j] = na === 0 ? mb : nb === 0 ? ma : ma + (delta[j]! * nb) / (na + nb)
    }
    if (na > 0 && nb > 0) addOuter(scatter, delta, d, (na * nb) / (na + nb))
  }
  mirror(scatter, d)
  return { kind: 'mahalanobis', dims: d, classes, counts, means, scatter, ridge: a.ridge }
}

/** The lower Cholesky factor of `a` (d x d, positive definite), in place of a copy. */
function cholesky(a: Float64Array, d: number): Float64Array {
  const l = new Float64Array(d * d)
  for (let j = 0; j < d; j++) {
    let s = a[j * d + j]!
    for (let k = 0; k < j; k++) s -= l[j * d + k]! * l[j * d + k]!
    if (!(s > 0))
      throw new InstrumentError('INVALID_INPUT', 'mahalanobisScores: the covariance is not positive definite; fit with a larger ridge.')
    const ljj = Math.sqrt(s)
    l[j * d + j] = ljj
    for (let i = j + 1; i < d; i++) {
      let t = a[i * d + j]!
      for (let k = 0; k < j; k++) t -= l[i * d + k]! * l[j * d + k]!
      l[i * d + j] = t / ljj
    }
  }
  return l
}

/** Solves `L y = x` for lower-triangular `L`, into `y`. */
function forward(l: Float64Array, d: number, x: ArrayLike<number>, xAt: number, y: Float64Array): void {
  for (let i = 0; i < d; i++) {
    let t = x[xAt + i]!
    const row = i * d
    for (let k = 0; k < i; k++) t -= l[row + k]! * y[k]!
    y[i] = t / l[row + i]!
  }
}

/**
 * Per example, the smallest squared Mahalanobis distance to a class mean under the shared
 * covariance `scatter / n + ridge * (mean of its diagonal) * I` (higher = more likely an
 * outlier, as {@link evaluateScores} takes it). The ridge keeps units that never varied
 * in training (dead units) from making the covariance singular; such a unit active at
 * check time gives a very large distance. Classes without examples are skipped. An
 * example with a non-finite feature scores Infinity.
 *
 * @example
 * ```ts
 * const scores = mahalanobisScores(detector, features) // Float64Array, one per example
 * ```
 */
export function mahalanobisScores(detector: MahalanobisDetector, features: Features): Float64Array {
  checkDetector(detector, 'mahalanobisScores(detector, features)')
  checkFeatures(features, 'mahalanobisScores(detector, features)')
  const { dims: d, classes, counts, means } = detector
  if (features.dims !== d)
    throw new InstrumentError('MODEL_MISMATCH', `mahalanobisScores: the detector has ${d} features per example, these ${features.dims}.`)
  let n = 0
  for (const c of counts) n += c
  if (n === 0) throw new InstrumentError('INVALID_INPUT', 'mahalanobisScores: the detector was fitted on no examples.')
  const cov = new Float64Array(d * d)
  let trace = 0
  for (let j = 0; j < d * d; j++) cov[j] = detector.scatter[j]! / n
  for (let j = 0; j < d; j++) trace += cov[j * d + j]!
  const add = detector.ridge * (trace > 0 ? trace / d : 1)
  for (let j = 0; j < d; j++) cov[j * d + j]! += add
  const l = cholesky(cov, d)
  // whitened class means, so each example costs one triangular solve
  const white = new Float64Array(classes * d)
  const y = new Float64Array(d)
  for (let c = 0; c < classes; c++) {
    forward(l, d, means, c * d, y)
    white.set(y, c * d)
  }
  const out = new Float64Array(features.examples)
  const v = features.values
  for (let e = 0; e < features.examples; e++) {
    let finite = true
    for (let j = 0; j < d; j++) if (!Number.isFinite(v[e * d + j]!)) finite = false
    if (!finite) {
      out[e] = Number.POSITIVE_INFINITY
      continue
    }
    forward(l, d, v, e * d, y)
    let best = Number.POSITIVE_INFINITY
    for (let c = 0; c < classes; c++) {
      if (counts[c] === 0) continue
      let s = 0
      for (let j = 0; j < d; j++) {
        const t = y[j]! - white[c * d + j]!
        s += t * t
      }
      if (s < best) best = s
    }
    out[e] = best
  }
  return out
}
