/* NAP's thresholds: per unit and level, a quantile of its training values (0 is the sign). */
import { InstrumentError } from '../errors.js'
import { type Declaration, check, declareOptions } from '../options.js'
import { type Features, checkFeatures } from './feature-vectors.js'

/** The index of the q-quantile in `n` sorted values: the smallest k with (k + 1) / n >= q, in the division's own rounding. */
function quantileIndex(q: number, n: number): number {
  let k = Math.max(0, Math.min(n - 1, Math.ceil(q * n) - 1))
  while (k > 0 && k / n >= q) k--
  while (k < n - 1 && (k + 1) / n < q) k++
  return k
}

/** Quantile levels: a non-empty array of numbers in [0, 1). */
export const QUANTILES = /* @__PURE__ */ check<readonly number[]>(
  'a non-empty array of numbers in [0, 1)',
  (q) => Array.isArray(q) && q.length > 0 && q.every((v) => typeof v === 'number' && v >= 0 && v < 1),
)
const THRESHOLDS = /* @__PURE__ */ declareOptions(
  'napThresholds(features, options)',
  () => ({ quantiles: { check: QUANTILES, default: [0, 0.75] } }) satisfies Declaration<{ quantiles?: readonly number[] }>,
)

/**
 * Per level and unit, the threshold: 0 for quantile 0 (the sign), else the smallest
 * training value with at least that share of the unit's values at or below it.
 *
 * @example
 * ```ts
 * const thresholds = napThresholds(trainFeatures, { quantiles: [0, 0.75] })
 * ```
 */
export function napThresholds(features: Features, options: { quantiles?: readonly number[] } = {}): Float32Array {
  const { quantiles } = THRESHOLDS.parse(options)
  checkFeatures(features, 'napThresholds(features, options)', 1)
  const { examples: n, dims, values } = features
  const out = new Float32Array(quantiles.length * dims)
  const column = new Float32Array(n)
  for (let d = 0; d < dims; d++) {
    for (let e = 0; e < n; e++) column[e] = values[e * dims + d]!
    if (column.some((v) => !Number.isFinite(v))) throw new InstrumentError('INVALID_INPUT', `napThresholds: feature ${d} is not finite.`)
    column.sort()
    quantiles.forEach((q, l) => {
      // + 0 makes -0 the threshold 0: the same bits, and thresholds that compare equal for mergeNap
      out[l * dims + d] = q === 0 ? 0 : column[quantileIndex(q, n)]! + 0
    })
  }
  return out
}
