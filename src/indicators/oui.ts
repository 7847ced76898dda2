/* OUI: how evenly a batch's examples are spread over on/off patterns, from their Hamming distances. */
import type { Measurement } from '../compare/measurement.js'
import { hammingDistance } from '../bits/popcount.js'
import { InstrumentError } from '../errors.js'
import { INDICATOR_OPTIONS } from './examples.js'
import { type IndicatorOptions, exampleRows } from './examples.js'

/** Result of {@link oui}. */
export interface OuiResult {
  /** Mean over sites of each site's mean over all pairs: in [0, 1]. */
  value: number
  /** Per site id, the mean over all pairs of min(d_H, floor(n/2)) / floor(n/2). */
  perSite: Record<string, number>
  /** Pairs of examples used: all of them, examples * (examples - 1) / 2. */
  pairs: number
  examples: number
}

/**
 * OUI, the overfitting-underfitting indicator (Fernández-Hernández et al., 2025): how
 * different the activation patterns of a batch's examples are. Per site, with `n` bits
 * per example (all positions), each pair's Hamming distance is clipped at `floor(n / 2)`
 * and divided by it; OUI averages that over every pair of examples and then over sites.
 * The reference code samples 28 pairs of a training batch; this uses all pairs, so the
 * value has no sampling noise. Low values (patterns alike) point to underfitting (too
 * much weight decay), high ones to overfitting; the authors find the good range around
 * 0.6 to 0.8. Sites with a single bit are left out (`floor(1 / 2)` is 0).
 *
 * @example
 * ```ts
 * const m = await probe.measurePatterns(trainBatch, { training: true })
 * console.log(oui(m).value)
 * ```
 */
export function oui(measurement: Measurement<unknown>, options: IndicatorOptions = {}): OuiResult {
  const where = 'oui(measurement, options)'
  const { sites } = INDICATOR_OPTIONS.parse(options, where)
  const { examples: n, rows } = exampleRows(measurement, where, sites)
  if (n < 2) throw new InstrumentError('INVALID_INPUT', `${where}: OUI compares pairs of examples; the measurement has ${n}.`)
  const used = rows.filter((r) => r.bits >= 2)
  if (used.length === 0) throw new InstrumentError('INVALID_INPUT', `${where}: every site has fewer than 2 bits per example.`)
  const pairs = (n * (n - 1)) / 2
  const perSite: Record<string, number> = {}
  let total = 0
  for (const r of used) {
    const limit = Math.floor(r.bits / 2)
    let sum = 0
    for (let i = 0; i < n; i++)
      for (let j = i + 1; j < n; j++) sum += Math.min(hammingDistance(r.words, i, r.words, j, r.wordsPerExample), limit)
    const mean = sum / limit / pairs
    Object.defineProperty(perSite, r.id, { value: mean, enumerable: true, writable: true, configurable: true })
    total += mean
  }
  return { value: total / used.length, perSite, pairs, examples: n }
}
