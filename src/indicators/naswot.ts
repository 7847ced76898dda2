import type { Measurement } from '../compare/measurement.js'
import { hammingDistance } from '../bits/popcount.js'
import { InstrumentError } from '../errors.js'
import { assertOptions } from '../keys.js'
import { type IndicatorOptions, exampleRows } from './examples.js'

/** Result of {@link naswot}. */
export interface NaswotResult {
  /**
   * log det K, natural log (det K is a non-negative integer); -Infinity when K is
   * singular: two examples with the same pattern, or more examples than N_A + 1.
   */
  score: number
  /** True when K is singular. */
  singular: boolean
  examples: number
  /** N_A: ReLU units of the whole-network pattern (positions times channels for conv sites). */
  units: number
}

/** Options of {@link naswot}. */
export interface NaswotOptions extends IndicatorOptions {
  /** Refuse more examples than this (K has examples^2 entries; default 2048). */
  maxExamples?: number
}

/**
 * NASWOT's score (Mellor et al., 2021) of the measured batch: the log-determinant of the
 * kernel `K[i][j] = N_A - d_H(c_i, c_j)`, where `c_i` is example i's whole-network
 * pattern (every site's bits, all positions) and `N_A` its length. Computed exactly
 * from the retained patterns (no second pass) and a float64 LU factorisation with
 * partial pivoting. Higher scores predicted higher trained accuracy in their search spaces.
 *
 * @example
 * ```ts
 * const m = await probe.measure(batch, { retain: true })
 * console.log(naswot(m).score)
 * ```
 */
export function naswot(measurement: Measurement<unknown>, options: NaswotOptions = {}): NaswotResult {
  const where = 'naswot(measurement, options)'
  assertOptions(where, options, ['sites', 'maxExamples'])
  const { examples: n, rows } = exampleRows(measurement, where, options.sites)
  const max = options.maxExamples ?? 2048
  if (n > max) throw new InstrumentError('INVALID_INPUT', `${where}: ${n} examples make a ${n}x${n} kernel; measure a batch of at most ${max} (NASWOT uses 128), or raise maxExamples.`)
  const units = rows.reduce((s, r) => s + r.bits, 0)
  const k = new Float64Array(n * n)
  for (let i = 0; i < n; i++) {
    k[i * n + i] = units
    for (let j = i + 1; j < n; j++) {
      let d = 0
      for (const r of rows) d += hammingDistance(r.words, i, r.words, j, r.wordsPerExample)
      k[i * n + j] = k[j * n + i] = units - d
    }
  }
  // K is the Gram matrix of the integer vectors [c_i, 1 - c_i], so det K is a non-negative
  // integer: 0, or at least 1. Its rank is at most N_A + 1 (the columns of 1 - c lie in the
  // span of those of c and the ones vector), so more examples than that make it singular;
  // otherwise a determinant below 1/2 can only be 0 seen through rounding.
  const log = n > units + 1 ? Number.NEGATIVE_INFINITY : logAbsDet(k, n)
  const singular = log < Math.log(0.5)
  return { score: singular ? Number.NEGATIVE_INFINITY : log, singular, examples: n, units }
}

/** log |det A| of an n x n row-major matrix (overwritten), by LU with partial pivoting. */
export function logAbsDet(a: Float64Array, n: number): number {
  let log = 0
  for (let c = 0; c < n; c++) {
    let pivot = c
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r * n + c]!) > Math.abs(a[pivot * n + c]!)) pivot = r
    const p = a[pivot * n + c]!
    if (p === 0) return Number.NEGATIVE_INFINITY
    if (pivot !== c) {
      for (let j = c; j < n; j++) {
        const t = a[c * n + j]!
        a[c * n + j] = a[pivot * n + j]!
        a[pivot * n + j] = t
      }
    }
    log += Math.log(Math.abs(p))
    for (let r = c + 1; r < n; r++) {
      const f = a[r * n + c]! / p
      if (f === 0) continue
      for (let j = c + 1; j < n; j++) a[r * n + j] = a[r * n + j]! - f * a[c * n + j]!
    }
  }
  return log
}
