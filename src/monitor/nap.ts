/* Binary activation patterns at quantile thresholds (Olber et al. 2023): fit, merge, scores, exact per-class sets. */
import { InstrumentError } from '../errors.js'
import { type Declaration, bytes, check, declareOptions, integer, oneOf } from '../options.js'
import { type Features, checkFeatures } from './feature-vectors.js'
import { QUANTILES, napThresholds } from './nap-thresholds.js'
import { type PatternSet, SetBuilder, nearestDistance } from './pattern-sets.js'

/**
 * A fitted NAP detector. Per site, an example's pattern has `units * levels` bits: bit
 * `l * units + u` is set when unit `u`'s feature is above its threshold at level `l`.
 * Per site and class it keeps the exact set of distinct training patterns. Plain data.
 */
export interface NapDetector {
  readonly kind: 'nap'
  readonly dims: number
  readonly sites: readonly { readonly id: string; readonly units: number; readonly offset: number }[]
  /** Threshold levels per unit. */
  readonly levels: number
  /** `levels * dims` thresholds, level by level. */
  readonly thresholds: Float32Array
  /** Classes 0 to `classes - 1`, each with training patterns. */
  readonly classes: number
  /** Per site (in `sites` order), per class: the distinct patterns, `rows * ceil(units * levels / 32)` words. */
  readonly sets: readonly (readonly PatternSet[])[]
}

/** Options of {@link napFit}. */
export interface NapOptions {
  /**
   * Per level, the share of training values a unit's threshold leaves at or below it
   * (default `[0, 0.75]`): 0 is the threshold 0, the sign `z > 0` the pattern monitor
   * reads; 0.75 sets a unit's bit only for its top quarter of training values.
   */
  quantiles?: readonly number[]
  /** Thresholds to use instead of `quantiles` (`levels * dims` finite numbers, as {@link napThresholds} returns them): shards fitted with the same ones merge exactly. */
  thresholds?: Float32Array
  /** The number of classes (default: the largest class given, plus one, every class present). With it a class may have no examples, as in a shard: an example predicted as such a class scores Infinity until a merge brings its patterns. */
  classes?: number
  /** Most bytes of distinct patterns to hold (default 256 MiB); past it the fit fails. */
  maxBytes?: number
}

/** More classes than this is a mistake (a class index, not a label, is wanted). */
const MAX_CLASSES = 65_536

const FIT = /* @__PURE__ */ declareOptions(
  'napFit(features, classes, options)',
  () =>
    ({
      quantiles: { check: QUANTILES, default: [0, 0.75] },
      thresholds: {
        check: check<Float32Array>(
          'a Float32Array of levels * dims finite thresholds',
          (t) => t instanceof Float32Array && t.every((v) => Number.isFinite(v)),
        ),
      },
      classes: { check: integer(1, MAX_CLASSES) },
      maxBytes: { check: bytes, default: 256 * 1024 * 1024 },
    }) satisfies Declaration<NapOptions>,
)
const SCORES = /* @__PURE__ */ declareOptions(
  'napScores(detector, features, options)',
  () => ({ combine: { check: oneOf(['max', 'mean']), default: 'max' } }) satisfies Declaration<{ combine?: 'max' | 'mean' }>,
)

/** The pattern of example `e` at one site: its units' bits at every level. */
function patternOf(
  d: Pick<NapDetector, 'dims' | 'levels' | 'thresholds'>,
  f: Features,
  e: number,
  site: NapDetector['sites'][number],
  out: Uint32Array,
): Uint32Array {
  out.fill(0)
  const base = e * f.dims + site.offset
  for (let l = 0; l < d.levels; l++) {
    const t = l * d.dims + site.offset
    for (let u = 0; u < site.units; u++) {
      if (f.values[base + u]! > d.thresholds[t + u]!) {
        const b = l * site.units + u
        out[b >>> 5]! |= 1 << (b & 31)
      }
    }
  }
  return out
}

/** The number of classes: `count` when given (every class below it), else the largest class plus one, every class present. */
function classCount(classes: ArrayLike<number>, examples: number, count: number | undefined): number {
  if (classes === null || typeof classes !== 'object' || classes.length !== examples)
    throw new InstrumentError('INVALID_INPUT', `napFit: give one class per example (${examples}).`)
  const limit = count ?? MAX_CLASSES
  let largest = 0
  for (let e = 0; e < examples; e++) {
    const c = classes[e]!
    if (!Number.isInteger(c) || c < 0 || c >= limit) {
      const range = count === undefined ? `an index from 0 below ${MAX_CLASSES}` : `below classes, ${count}`
      throw new InstrumentError('INVALID_INPUT', `napFit: class ${c} of example ${e} is not a class index (${range}).`)
    }
    largest = Math.max(largest, c + 1)
  }
  if (count !== undefined) return count
  const seen = new Set(Array.from(classes))
  const missing = Array.from({ length: largest }, (_, c) => c).filter((c) => !seen.has(c))
  if (missing.length > 0) {
    const list = missing.length > 10 ? `${missing.slice(0, 10).join(', ')} and ${missing.length - 10} more` : missing.join(', ')
    throw new InstrumentError(
      'INVALID_INPUT',
      `napFit: class ${list} has no examples. Give examples of every class, or give classes (a shard may lack some).`,
    )
  }
  return largest
}

/**
 * Fits a NAP detector (Olber et al., CVPR 2023): each unit binarised at thresholds set by
 * quantiles of its training values, and per site and class the exact set of the training
 * patterns. `classes` is one class per example (labels, or the model's predictions).
 *
 * @example
 * ```ts
 * const train = await measureFeatures(model, trainXs, { sites: ['dense2', 'dense3'] })
 * const detector = napFit(train, trainLabels, { quantiles: [0, 0.75] })
 * ```
 */
export function napFit(features: Features, classes: ArrayLike<number>, options: NapOptions = {}): NapDetector {
  const o = FIT.parse(options)
  if (options.quantiles !== undefined && options.thresholds !== undefined)
    throw new InstrumentError('INVALID_OPTION', 'napFit: give quantiles or thresholds, not both (thresholds already hold their levels).')
  checkFeatures(features, 'napFit(features, classes, options)', 1)
  const bad = features.values.findIndex((v) => !Number.isFinite(v))
  if (bad >= 0)
    throw new InstrumentError(
      'INVALID_INPUT',
      `napFit: feature ${bad % features.dims} of example ${Math.floor(bad / features.dims)} is not finite.`,
    )
  const count = classCount(classes, features.examples, o.classes)
  // + 0: a given -0 is the threshold 0, and compares equal to it in mergeNap
  const thresholds = o.thresholds === undefined ? napThresholds(features, { quantiles: o.quantiles }) : o.thresholds.map((t) => t + 0)
  const levels = thresholds.length / features.dims
  if (!Number.isInteger(levels) || levels < 1)
    throw new InstrumentError('INVALID_OPTION', `napFit: thresholds must be levels * ${features.dims} numbers.`)
  const sites = features.sites.map((s) => ({ id: s.id, units: s.units, offset: s.offset }))
  const d = { dims: features.dims, levels, thresholds }
  const budget = { left: o.maxBytes }
  const sets = sites.map((site) => {
    const bits = site.units * levels
    const builder = new SetBuilder(bits, budget)
    const p = new Uint32Array(Math.ceil(bits / 32))
    for (let e = 0; e < features.examples; e++) builder.add(classes[e]!, patternOf(d, features, e, site, p))
    const byClass = builder.sets()
    return Array.from({ length: count }, (_, c) => byClass.get(c) ?? { rows: 0, words: new Uint32Array(0) })
  })
  return { kind: 'nap', dims: features.dims, sites, levels, thresholds: thresholds.slice(), classes: count, sets }
}

function checkDetector(d: NapDetector, where: string): void {
  const count = (n: unknown): boolean => Number.isInteger(n) && (n as number) >= 0
  const ok =
    d !== null &&
    typeof d === 'object' &&
    d.kind === 'nap' &&
    count(d.dims) &&
    count(d.classes) &&
    d.classes >= 1 &&
    Number.isInteger(d.levels) &&
    d.levels >= 1 &&
    d.thresholds instanceof Float32Array &&
    d.thresholds.length === d.levels * d.dims &&
    d.thresholds.every((t) => Number.isFinite(t)) &&
    Array.isArray(d.sites) &&
    Array.isArray(d.sets) &&
    d.sets.length === d.sites.length &&
    d.sites.every(
      (s, i) =>
        Number.isInteger(s.units) &&
        s.units >= 1 &&
        count(s.offset) &&
        s.offset + s.units <= d.dims &&
        d.sets[i]!.length === d.classes &&
        d.sets[i]!.every(
          (set) =>
            count(set.rows) && set.words instanceof Uint32Array && set.words.length === set.rows * Math.ceil((s.units * d.levels) / 32),
        ),
    )
  if (!ok) throw new InstrumentError('CORRUPT_DATA', `${where}: not a NAP detector made by napFit.`)
}

/**
 * The detector of both detectors' training patterns (fitted on shards of the data, say),
 * exact. They must share their thresholds: fit the shards with the same `thresholds`
 * (quantiles of different shards differ, and would not merge exactly).
 *
 * @example
 * ```ts
 * const thresholds = napThresholds(sample)
 * const all = mergeNap(napFit(a, labelsA, { thresholds }), napFit(b, labelsB, { thresholds }))
 * ```
 */
export function mergeNap(a: NapDetector, b: NapDetector): NapDetector {
  checkDetector(a, 'mergeNap(a, b)')
  checkDetector(b, 'mergeNap(a, b)')
  const same =
    a.dims === b.dims &&
    a.levels === b.levels &&
    a.thresholds.every((t, i) => Object.is(t, b.thresholds[i])) &&
    a.sites.length === b.sites.length &&
    a.sites.every((s, i) => s.id === b.sites[i]!.id && s.units === b.sites[i]!.units && s.offset === b.sites[i]!.offset)
  if (!same)
    throw new InstrumentError(
      'MODEL_MISMATCH',
      'mergeNap: the detectors have other features or other thresholds. Fit every shard with the same thresholds (napThresholds).',
    )
  const classes = Math.max(a.classes, b.classes)
  const sets = a.sites.map((site, i) => {
    const bits = site.units * a.levels
    const builder = new SetBuilder(bits, { left: Number.POSITIVE_INFINITY })
    for (const d of [a, b]) {
      d.sets[i]!.forEach((set, c) => {
        const wpr = Math.ceil(bits / 32)
        for (let r = 0; r < set.rows; r++) builder.add(c, set.words.subarray(r * wpr, (r + 1) * wpr))
      })
    }
    const byClass = builder.sets()
    return Array.from({ length: classes }, (_, c) => byClass.get(c) ?? { rows: 0, words: new Uint32Array(0) })
  })
  return { ...a, classes, sets, thresholds: a.thresholds.slice() }
}

/**
 * Per example, its NAP score (higher = more likely an outlier): at each site the exact
 * Hamming distance from its pattern to the nearest training pattern of its predicted
 * class, over the site's bits; then the largest over sites (`combine: 'max'`, default) or
 * their mean. The Features must carry predictions (`measureFeatures`, or a measurement
 * with `predictions: true`).
 *
 * @example
 * ```ts
 * const scores = napScores(detector, await measureFeatures(model, incomingXs, { sites: ['dense2', 'dense3'] }))
 * ```
 */
export function napScores(detector: NapDetector, features: Features, options: { combine?: 'max' | 'mean' } = {}): Float64Array {
  const { combine } = SCORES.parse(options)
  checkDetector(detector, 'napScores(detector, features)')
  checkFeatures(features, 'napScores(detector, features)')
  const same =
    features.dims === detector.dims &&
    features.sites.length === detector.sites.length &&
    detector.sites.every(
      (s, i) => s.id === features.sites[i]!.id && s.units === features.sites[i]!.units && s.offset === features.sites[i]!.offset,
    )
  if (!same)
    throw new InstrumentError(
      'MODEL_MISMATCH',
      `napScores: the detector was fitted on sites ${detector.sites.map((s) => `${s.id} (${s.units})`).join(', ')}; give Features of the same sites.`,
    )
  const predicted = features.predictions
  if (!(predicted instanceof Int32Array) || predicted.length !== features.examples)
    throw new InstrumentError('INVALID_INPUT', 'napScores: the Features carry no predicted classes; measure them with predictions.')
  const out = new Float64Array(features.examples)
  const patterns = detector.sites.map((s) => new Uint32Array(Math.ceil((s.units * detector.levels) / 32)))
  for (let e = 0; e < features.examples; e++) {
    const c = predicted[e]!
    if (!(c >= 0 && c < detector.classes))
      throw new InstrumentError('MODEL_MISMATCH', `napScores: example ${e} is of class ${c}; the detector knows ${detector.classes}.`)
    let score = 0
    let finite = true
    for (let j = e * features.dims; j < (e + 1) * features.dims; j++) if (!Number.isFinite(features.values[j]!)) finite = false
    if (!finite) {
      out[e] = Number.POSITIVE_INFINITY
      continue
    }
    detector.sites.forEach((site, i) => {
      const bits = site.units * detector.levels
      const share = nearestDistance(detector.sets[i]![c]!, bits, patternOf(detector, features, e, site, patterns[i]!)) / bits
      score = combine === 'max' ? Math.max(score, share) : score + share / detector.sites.length
    })
    out[e] = score
  }
  return out
}
