/* How well a score tells inputs apart: AUROC, AUPR and FPR at 95% TPR, with seeded bootstrap intervals; and the standard baseline scores from logits. */
import { uniform } from '../bits/random.js'
import { InstrumentError } from '../errors.js'
import { putOwn } from '../keys.js'
import { type Declaration, check, declareOptions, integer } from '../options.js'

/** Options of {@link evaluateScores}. */
export interface EvaluateOptions {
  /** Bootstrap resamples for the intervals (default 1000; 0 for none). */
  bootstrap?: number
  /** Coverage of the intervals (default 0.95). */
  confidence?: number
  /** Seed of the resampling (default 0): the same seed gives the same intervals. */
  seed?: number
}

/** A figure with its bootstrap interval (null without resamples). */
export interface WithInterval {
  readonly value: number
  readonly interval: readonly [number, number] | null
}

/** How well scores tell outliers (positives, higher scores) from inliers. */
export interface ScoreEvaluation {
  /** Area under the ROC curve: the chance an outlier scores above an inlier, ties counted half. */
  readonly auroc: WithInterval
  /** Area under the precision-recall curve with outliers positive (average precision, ties as one step). */
  readonly aupr: WithInterval
  /** The share of outliers scored at or below the score that keeps 95% of inliers (lower is better). */
  readonly fprAt95: WithInterval
  readonly inliers: number
  readonly outliers: number
  readonly bootstrap: number
  readonly confidence: number
  readonly seed: number
}

const OPTIONS = /* @__PURE__ */ declareOptions(
  'evaluateScores(inliers, outliers, options)',
  () =>
    ({
      bootstrap: { check: integer(0, 100_000), default: 1000 },
      confidence: { check: check<number>('a number above 0 and below 1', (v) => typeof v === 'number' && v > 0 && v < 1), default: 0.95 },
      seed: { check: integer(), default: 0 },
    }) satisfies Declaration<EvaluateOptions>,
)

function scoresOf(x: ArrayLike<number>, what: string): Float64Array {
  if (x === null || typeof x !== 'object' || typeof x.length !== 'number' || x.length === 0)
    throw new InstrumentError('INVALID_INPUT', `evaluateScores: ${what} must be a non-empty array of scores.`)
  const out = Float64Array.from(x)
  const bad = out.findIndex((v) => Number.isNaN(v))
  if (bad >= 0) throw new InstrumentError('INVALID_INPUT', `evaluateScores: ${what}[${bad}] is NaN; every score must be a number.`)
  return out
}

/** AUROC, AUPR and FPR at 95% TPR of inlier and outlier scores (sorted copies are taken). */
function figures(inliers: Float64Array, outliers: Float64Array): [number, number, number] {
  const all = new Float64Array(inliers.length + outliers.length)
  const isOut = new Uint8Array(all.length)
  all.set(inliers)
  all.set(outliers, inliers.length)
  isOut.fill(1, inliers.length)
  const order = Array.from(all.keys()).sort((a, b) => all[b]! - all[a]!)
  // walk from the highest score down, a group of tied scores at a time
  const nO = outliers.length
  const nI = inliers.length
  let tp = 0
  let fp = 0
  let area = 0
  let ap = 0
  for (let i = 0; i < order.length; ) {
    const t = all[order[i]!]!
    let dtp = 0
    let dfp = 0
    for (; i < order.length && all[order[i]!] === t; i++) isOut[order[i]!] === 1 ? dtp++ : dfp++
    // ROC: trapezoid over the group (ties counted half)
    area += (dfp * (tp + tp + dtp)) / 2
    tp += dtp
    fp += dfp
    if (dtp > 0) ap += (dtp / nO) * (tp / (tp + fp))
  }
  const sortedIn = Float64Array.from(inliers).sort()
  const threshold = sortedIn[Math.min(nI - 1, Math.ceil(0.95 * nI) - 1)]!
  let kept = 0
  for (const s of outliers) if (s <= threshold) kept++
  return [area / (nO * nI), ap, kept / nO]
}

/**
 * How well a score tells outliers (out-of-distribution inputs, or misclassified ones) from
 * inliers, higher scores meaning "more likely an outlier": AUROC, AUPR (outliers
 * positive) and FPR at 95% TPR (the share of outliers a threshold keeping 95% of inliers
 * lets through), each with a percentile bootstrap interval from `bootstrap` resamples of
 * both sets, seeded (the same seed gives the same intervals, bit for bit).
 *
 * @example
 * ```ts
 * import { evaluateScores } from 'relu-patterns'
 *
 * const { auroc, fprAt95 } = evaluateScores(idScores, oodScores, { bootstrap: 1000, seed: 1 })
 * console.log(auroc.value, auroc.interval, fprAt95.value)
 * ```
 */
export function evaluateScores(inliers: ArrayLike<number>, outliers: ArrayLike<number>, options: EvaluateOptions = {}): ScoreEvaluation {
  const { bootstrap, confidence, seed } = OPTIONS.parse(options)
  const a = scoresOf(inliers, 'inliers')
  const b = scoresOf(outliers, 'outliers')
  const [auroc, aupr, fpr] = figures(a, b)
  let intervals: [number, number][] | null = null
  if (bootstrap > 0) {
    const next = uniform(seed)
    const draws = [new Float64Array(bootstrap), new Float64Array(bootstrap), new Float64Array(bootstrap)]
    const ra = new Float64Array(a.length)
    const rb = new Float64Array(b.length)
    for (let r = 0; r < bootstrap; r++) {
      for (let i = 0; i < a.length; i++) ra[i] = a[Math.floor(next() * a.length)]!
      for (let i = 0; i < b.length; i++) rb[i] = b[Math.floor(next() * b.length)]!
      const f = figures(ra, rb)
      for (let k = 0; k < 3; k++) draws[k]![r] = f[k]!
    }
    const tail = (1 - confidence) / 2
    intervals = draws.map((d) => {
      d.sort()
      const at = (q: number): number => d[Math.min(bootstrap - 1, Math.max(0, Math.round(q * (bootstrap - 1))))]!
      return [at(tail), at(1 - tail)]
    })
  }
  const withInterval = (value: number, k: number): WithInterval => ({ value, interval: intervals === null ? null : intervals[k]! })
  return {
    auroc: withInterval(auroc, 0),
    aupr: withInterval(aupr, 1),
    fprAt95: withInterval(fpr, 2),
    inliers: a.length,
    outliers: b.length,
    bootstrap,
    confidence,
    seed,
  }
}

/**
 * How many examples a data set holds, where it says: a tensor's first axis (the first
 * tensor's, for the inputs of a multi-input model), Features' `examples`, a plain array's
 * length; else null.
 */
function examplesOf(data: unknown): number | null {
  if (Array.isArray(data))
    return data.length > 0 && data.every((d) => d !== null && typeof d === 'object') ? examplesOf(data[0]) : data.length
  if (data === null || typeof data !== 'object') return null
  const { shape, examples } = data as { shape?: unknown; examples?: unknown }
  if (Array.isArray(shape) && typeof shape[0] === 'number') return shape[0]
  if (typeof examples === 'number') return examples
  return null
}

/** A detector as {@link evaluateDetectors} takes it: scores for a data set (higher = more likely an outlier), one per example. */
export type ScoreFunction<D> = (data: D) => ArrayLike<number> | Promise<ArrayLike<number>>

/**
 * Every detector on the same data: each scores `inData` (in distribution) once and every
 * set of `outSets`, and {@link evaluateScores} compares them with the same options (the
 * same seed, so one seed gives the same intervals bit for bit). Returns, per detector and
 * per out-of-distribution set, AUROC, AUPR and FPR at 95% TPR with their intervals.
 * Detectors run one after another, in the order given. A detector that gives the wrong
 * number of scores is `INVALID_INPUT`, named.
 *
 * Misclassification detection (Cheng et al. 2019's use) is the same call with the
 * correctly classified inputs as `inData` and the misclassified ones as an out set.
 *
 * @example
 * ```ts
 * import { evaluateDetectors } from 'relu-patterns'
 *
 * const table = await evaluateDetectors(
 *   { patterns: async (x) => (await monitor.check(x)).map((c) => c.score), maxSoftmax: (x) => logitScores(logProbs(x), 10, 'maxSoftmax') },
 *   testXs,
 *   { noise: noiseXs, fashion: fashionXs },
 *   { seed: 1 },
 * )
 * table.patterns.noise.auroc // { value, interval }
 * ```
 */
export async function evaluateDetectors<D>(
  detectors: Record<string, ScoreFunction<D>>,
  inData: D,
  outSets: Record<string, D>,
  options: EvaluateOptions = {},
): Promise<Record<string, Record<string, ScoreEvaluation>>> {
  OPTIONS.parse(options)
  if (detectors === null || typeof detectors !== 'object' || Object.keys(detectors).length === 0)
    throw new InstrumentError(
      'INVALID_INPUT',
      'evaluateDetectors(detectors, inData, outSets): detectors is a record of score functions, at least one.',
    )
  if (outSets === null || typeof outSets !== 'object' || Object.keys(outSets).length === 0)
    throw new InstrumentError(
      'INVALID_INPUT',
      'evaluateDetectors(detectors, inData, outSets): outSets is a record of data sets, at least one.',
    )
  for (const [name, fn] of Object.entries(detectors))
    if (typeof fn !== 'function')
      throw new InstrumentError('INVALID_INPUT', `evaluateDetectors: detector "${name}" is not a function of the data.`)
  const out: Record<string, Record<string, ScoreEvaluation>> = {}
  for (const [name, fn] of Object.entries(detectors)) {
    const scored = async (data: D, set: string): Promise<ArrayLike<number>> => {
      const s = await fn(data)
      if (s === null || typeof s !== 'object' || typeof s.length !== 'number')
        throw new InstrumentError('INVALID_INPUT', `evaluateDetectors: detector "${name}" gave no array of scores for ${set}.`)
      const examples = examplesOf(data)
      if (examples !== null && s.length !== examples)
        throw new InstrumentError(
          'INVALID_INPUT',
          `evaluateDetectors: detector "${name}" gave ${s.length} scores for the ${examples} examples of ${set}.`,
        )
      for (let i = 0; i < s.length; i++)
        if (Number.isNaN(s[i]))
          throw new InstrumentError('INVALID_INPUT', `evaluateDetectors: detector "${name}" scored example ${i} of ${set} NaN.`)
      return s
    }
    const inliers = await scored(inData, 'inData')
    const row: Record<string, ScoreEvaluation> = {}
    for (const [set, data] of Object.entries(outSets)) putOwn(row, set, evaluateScores(inliers, await scored(data, set), options))
    putOwn(out, name, row)
  }
  return out
}

/** Which baseline score {@link logitScores} computes. */
export type LogitScore = 'maxSoftmax' | 'maxLogit' | 'energy'

/**
 * The standard baseline scores of a classifier, from its logits (rows of `classes`
 * values), oriented as {@link evaluateScores} takes them (higher = more likely an
 * outlier): `maxSoftmax` is minus the largest softmax probability (Hendrycks & Gimpel
 * 2017), `maxLogit` minus the largest logit (Hendrycks et al. 2022), `energy` minus
 * log-sum-exp of the logits (Liu et al. 2020), computed stably.
 *
 * @example
 * ```ts
 * import { logitScores } from 'relu-patterns'
 *
 * const scores = logitScores(logits.dataSync(), 10, 'energy')
 * ```
 */
export function logitScores(logits: ArrayLike<number>, classes: number, score: LogitScore): Float64Array {
  if (!Number.isInteger(classes) || classes < 1 || logits.length % classes !== 0)
    throw new InstrumentError('INVALID_INPUT', `logitScores: ${logits.length} logits are not rows of ${classes} classes.`)
  if (score !== 'maxSoftmax' && score !== 'maxLogit' && score !== 'energy')
    throw new InstrumentError('INVALID_OPTION', `logitScores: score must be 'maxSoftmax', 'maxLogit' or 'energy', not ${String(score)}.`)
  const n = logits.length / classes
  const out = new Float64Array(n)
  for (let e = 0; e < n; e++) {
    let max = Number.NEGATIVE_INFINITY
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[e * classes + c]!)
    let sum = 0
    for (let c = 0; c < classes; c++) sum += Math.exp(logits[e * classes + c]! - max)
    const lse = max + Math.log(sum)
    out[e] = score === 'maxLogit' ? -max : score === 'energy' ? -lse : -Math.exp(max - lse)
  }
  return out
}
