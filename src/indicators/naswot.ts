/* NASWOT (Mellor et al., 2021): the log-determinant of the Hamming kernel of a batch's patterns. */
import type { Measurement } from '../compare/measurement.js'
import { hammingDistance } from '../bits/popcount.js'
import { InstrumentError } from '../errors.js'
import { INDICATOR_OPTIONS } from './examples.js'
import { type IndicatorOptions, exampleRows } from './examples.js'
import { type Declaration, declareOptions, integer } from '../options.js'

/** Result of {@link naswot}. */
export interface NaswotResult {
  /**
   * log det K, natural log (det K is a non-negative integer); -Infinity when K is
   * singular: two examples with the same pattern, or more examples than N_A + 1.
   */
  score: number
  /**
   * True when K is singular: decided exactly modulo three primes near 2^26 (a nonzero
   * det K that is a multiple of all three, about 3e23, would read as singular).
   */
  singular: boolean
  examples: number
  /** N_A: ReLU units of the whole-network pattern (positions times channels for conv sites). */
  units: number
}

/** Options of {@link naswot}. */
export interface NaswotOptions extends IndicatorOptions {
  /** Refuse more examples than this (K has examples^2 entries and costs examples^3; default 1024). */
  maxExamples?: number
}

const OPTIONS = /* @__PURE__ */ declareOptions(
  'naswot(measurement, options)',
  () =>
    ({
      ...INDICATOR_OPTIONS.fields,
      maxExamples: { check: integer(1), default: 1024 },
    }) satisfies Declaration<NaswotOptions>,
)

/**
 * NASWOT's score (Mellor et al., 2021) of the measured batch: the log-determinant of the
 * kernel `K[i][j] = N_A - d_H(c_i, c_j)`, where `c_i` is example i's whole-network
 * pattern (every site's bits, all positions) and `N_A` its length. Computed exactly
 * from the retained patterns (no second pass) and a float64 LU factorisation with
 * partial pivoting. Higher scores predicted higher trained accuracy in their search spaces.
 *
 * @example
 * ```ts
 * const m = await probe.measurePatterns(batch)
 * console.log(naswot(m).score)
 * ```
 */
export function naswot(measurement: Measurement<unknown>, options: NaswotOptions = {}): NaswotResult {
  const where = 'naswot(measurement, options)'
  const { sites, maxExamples: max } = OPTIONS.parse(options, where)
  const { examples: n, rows } = exampleRows(measurement, where, sites)
  if (n === 0) throw new InstrumentError('INVALID_INPUT', `${where}: the measurement has no examples.`)
  if (n > max)
    throw new InstrumentError(
      'INVALID_INPUT',
      `${where}: ${n} examples make a ${n}x${n} kernel; measure a batch of at most ${max} (NASWOT uses 128), or raise maxExamples.`,
    )
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
  // K is the Gram matrix of the integer vectors [c_i, 1 - c_i]: det K is a non-negative
  // integer, and its rank is at most N_A + 1 (the columns of 1 - c lie in the span of those
  // of c and the ones vector). Whether det K is 0 is decided in exact modular arithmetic,
  // not read off a float factorisation whose rounding hides a zero determinant.
  const singular = n > units + 1 || PRIMES.every((p) => determinantMod(k, n, p) === 0)
  return { score: singular ? Number.NEGATIVE_INFINITY : logAbsDet(k, n), singular, examples: n, units }
}

/** Primes below 2^26, so that a product of two residues stays exact in a float64. */
const PRIMES = [67108859, 67108837, 67108819]

/** det A mod p of an integer matrix (not modified), by Gaussian elimination over Z/p. */
export function determinantMod(a: Float64Array, n: number, p: number): number {
  const m = new Float64Array(n * n)
  for (let i = 0; i < m.length; i++) m[i] = ((a[i]! % p) + p) % p
  let det = 1
  for (let c = 0; c < n; c++) {
    let pivot = c
    while (pivot < n && m[pivot * n + c] === 0) pivot++
    if (pivot === n) return 0
    if (pivot !== c) {
      for (let j = c; j < n; j++) {
        const t = m[c * n + j]!
        m[c * n + j] = m[pivot * n + j]!
        m[pivot * n + j] = t
      }
      det = (p - det) % p
    }
    const v = m[c * n + c]!
    det = (det * v) % p
    const inv = inverseMod(v, p)
    for (let r = c + 1; r < n; r++) {
      const f = (m[r * n + c]! * inv) % p
      if (f === 0) continue
      for (let j = c; j < n; j++) m[r * n + j] = (m[r * n + j]! - ((f * m[c * n + j]!) % p) + p) % p
    }
  }
  return det
}

function inverseMod(a: number, p: number): number {
  let [r0, r1, s0, s1] = [p, a, 0, 1]
  while (r1 !== 0) {
    const q = Math.floor(r0 / r1)
    ;[r0, r1] = [r1, r0 - q * r1]
    ;[s0, s1] = [s1, s0 - q * s1]
  }
  return ((s0 % p) + p) % p
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
