/* Similarity of two pattern histograms: Jaccard, weighted and thresholded Jaccard, patterns gained and lost. */
import { tableForEach, tableGet } from '../bits/pattern-table.js'
import { type Declaration, check, declareOptions } from '../options.js'
import { assertSameLayout } from '../reducer.js'
import { type PatternHistogramState, checkHistogram } from '../reducers/pattern-histogram.js'

/** Options of {@link compareHistograms}. */
export interface HistogramComparisonOptions {
  /**
   * Patterns count toward `thresholdedJaccard` only when seen more than this many times
   * in a histogram (default 10, the reference's), or, as `{ share }`, more than that share
   * of the histogram's rows (10 occurrences mean little among 50,000 rows, much among 200).
   */
  threshold?: number | { share: number }
}

/** A share in [0, 1), given as `{ share }` and nothing else. */
function isShare(t: unknown): boolean {
  if (typeof t !== 'object' || t === null || Object.getPrototypeOf(t) !== Object.prototype || Object.keys(t).join() !== 'share')
    return false
  const share = (t as { share: unknown }).share
  return typeof share === 'number' && share >= 0 && share < 1
}

/** The declaration of {@link HistogramComparisonOptions}, shared by every call that compares histograms. */
export const HISTOGRAM_COMPARISON = /* @__PURE__ */ declareOptions(
  'compareHistograms(a, b, options)',
  () =>
    ({
      threshold: {
        check: check(
          'a number of occurrences (not NaN) or { share } with a share in [0, 1)',
          (t) => (typeof t === 'number' && !Number.isNaN(t)) || isShare(t),
          ['share'],
        ),
        default: 10,
      },
    }) satisfies Declaration<HistogramComparisonOptions>,
)

/** Similarity of two pattern histograms: `a` is the reference, `b` the one compared with it. */
export interface HistogramComparison {
  /** What made this result: a comparison of two pattern histograms. */
  kind: 'histogramComparison'
  /** |S_a ∩ S_b| / |S_a ∪ S_b| over the sets of distinct patterns (1 when both are empty). */
  jaccard: number
  /** Σ_p min(a_p, b_p) / Σ_p max(a_p, b_p) over pattern counts (1 when both are empty). */
  weightedJaccard: number
  /** Jaccard over the patterns seen more than `threshold` times in each histogram (1 when both sets are empty). */
  thresholdedJaccard: number
  /** |S_b \ S_a|: patterns in `b` that `a` does not have. */
  patternsAdded: number
  /** |S_a \ S_b|: patterns of `a` that `b` no longer has. */
  patternsRemoved: number
  /** `patternsAdded - patternsRemoved`, the net count reported by Hartmann et al. (2021). */
  patternsChanged: number
  /**
   * `patternsChanged / |S_b|`: the net change over the current distinct count, the
   * reference's "% Patterns Changed" (0 when `b` is empty; negative when patterns were lost).
   */
  shareChanged: number
  /** False when either histogram hit its memory cap (then all of the above are estimates). */
  exact: boolean
}

/**
 * Compares two `patternHistogram()` states of the same site, as Hartmann et al. (2021)
 * compare measurements with a reference (the first, previous or final one).
 *
 * @example
 * ```ts
 * const first = probe.states()[id].patterns
 * // ... train ...
 * const now = probe.states()[id].patterns
 * compareHistograms(first, now).weightedJaccard
 * ```
 */
export function compareHistograms(
  a: PatternHistogramState,
  b: PatternHistogramState,
  options: HistogramComparisonOptions = {},
): HistogramComparison {
  const { threshold } = HISTOGRAM_COMPARISON.parse(options)
  const share = typeof threshold === 'object' ? threshold.share : undefined
  checkHistogram(a)
  checkHistogram(b)
  const ta = typeof share === 'number' ? share * a.rows : (threshold as number)
  const tb = typeof share === 'number' ? share * b.rows : (threshold as number)
  assertSameLayout(a, b, 'compare histograms')
  const wpr = a.wordsPerRow
  let shared = 0
  let minSum = 0
  let maxSum = 0
  let aAbove = 0
  let bAbove = 0
  let bothAbove = 0
  tableForEach(a.table, (slot, ca) => {
    const cb = tableGet(b.table, a.table.keys, slot * wpr)
    if (cb > 0) shared++
    minSum += Math.min(ca, cb)
    maxSum += Math.max(ca, cb)
    if (ca > ta) {
      aAbove++
      if (cb > tb) bothAbove++
    }
  })
  tableForEach(b.table, (slot, cb) => {
    if (cb > tb) bAbove++
    if (tableGet(a.table, b.table.keys, slot * wpr) === 0) maxSum += cb
  })
  const sa = a.table.size
  const sb = b.table.size
  const union = sa + sb - shared
  const unionAbove = aAbove + bAbove - bothAbove
  return {
    kind: 'histogramComparison',
    jaccard: union === 0 ? 1 : shared / union,
    weightedJaccard: maxSum === 0 ? 1 : minSum / maxSum,
    thresholdedJaccard: unionAbove === 0 ? 1 : bothAbove / unionAbove,
    patternsAdded: sb - shared,
    patternsRemoved: sa - shared,
    patternsChanged: sb - sa,
    shareChanged: sb === 0 ? 0 : (sb - sa) / sb,
    exact: a.untracked === 0 && b.untracked === 0,
  }
}
