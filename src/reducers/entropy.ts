// Entropy of pattern histograms: H(A), and with labels H(A|L) and I(A;L) under either
// class prior. Plain numbers and tables; used by patternHistogram.
import { type PatternTable, tableForEach } from '../bits/pattern-table.js'

/** Counts below this are tallied in an array; larger ones in a map. */
const SMALL_COUNTS = 4096

/**
 * Entropy in bits of a histogram given by its counts (zeros ignored) and their total.
 * Patterns counted in `total` but absent from `counts` are taken as singletons, which
 * add nothing to the sum of `c log c`. The sum runs over distinct count values in
 * increasing order, each weighted by how many patterns have it, so the result has the
 * same bits whatever the order of `counts` (a merged table holds its patterns in another
 * order than one built from a single stream).
 *
 * @example
 * ```ts
 * histogramEntropy([2, 1, 1], 4) // 1.5
 * ```
 */
export function histogramEntropy(counts: ArrayLike<number>, total: number): number {
  if (total <= 0) return 0
  const small = new Float64Array(SMALL_COUNTS)
  let large: Map<number, number> | null = null
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!
    if (!(c > 1)) continue // 0 is no pattern; c log c is 0 for c = 1
    if (c < SMALL_COUNTS && Number.isInteger(c)) small[c]! += 1
    else {
      large ??= new Map()
      large.set(c, (large.get(c) ?? 0) + 1)
    }
  }
  let s = 0
  for (let c = 2; c < SMALL_COUNTS; c++) {
    const m = small[c]!
    if (m > 0) s += m * c * Math.log2(c)
  }
  if (large !== null) for (const c of [...large.keys()].sort((a, b) => a - b)) s += large.get(c)! * c * Math.log2(c)
  const h = Math.log2(total) - s / total
  return Math.max(h, 0)
}

/** The label fields of a pattern histogram's result (documented there). */
export interface LabelInformation {
  conditionalEntropy: number | null
  mutualInformation: number | null
  classes: number | null
  normalizedConditionalEntropy: number | null
  normalizedMutualInformation: number | null
}

/** What the label information is computed from: the histogram state's counts. */
interface Counts {
  rows: number
  units: number
  labeled: number
  untrackedJoint: number
  untrackedLabels: number
  joint: PatternTable
  labelCounts: PatternTable
}

/**
 * H(A|L) and I(A;L) = H(A) - H(A|L), when every row was labelled. With the empirical class
 * prior H(A|L) = H(A,L) - H(L); with the uniform prior the reference assumes,
 * H(A|L) = H(A,L) - log2(classes).
 */
export function labelInformation(state: Counts, entropy: number, maxEntropy: number, prior: 'empirical' | 'uniform'): LabelInformation {
  const complete = state.labeled === state.rows && state.untrackedJoint === 0 && state.untrackedLabels === 0
  if (state.rows === 0 || !complete)
    return {
      conditionalEntropy: null,
      mutualInformation: null,
      classes: null,
      normalizedConditionalEntropy: null,
      normalizedMutualInformation: null,
    }
  const { rows, units } = state
  const classes = state.labelCounts.size
  const joint = histogramEntropy(state.joint.counts, rows)
  const ratio = (x: number, bound: number): number | null => (bound > 0 ? x / bound : null)
  if (prior === 'uniform') {
    // the reference's formulas as they are: H(A,L) - log2 k (negative on imbalanced data,
    // where the uniform prior is wrong), normalised by its bounds for balanced classes
    const conditional = joint - Math.log2(classes)
    const mutual = entropy - conditional
    const maxConditional = Math.min(units, Math.log2(rows / classes))
    return {
      conditionalEntropy: conditional,
      mutualInformation: mutual,
      classes,
      normalizedConditionalEntropy: ratio(conditional, maxConditional),
      normalizedMutualInformation: ratio(mutual, maxEntropy - maxConditional),
    }
  }
  const labels = histogramEntropy(state.labelCounts.counts, rows)
  const conditional = Math.max(0, joint - labels)
  const mutual = Math.max(0, entropy - conditional)
  // true bounds: H(A|L) <= sum_l p_l min(C, log2 n_l); I(A;L) <= min(H(L), max H(A))
  // summed in the order of the counts, not of the table's slots: equal counts give equal bits, however they were merged
  const perLabel: number[] = []
  tableForEach(state.labelCounts, (_slot, n) => void perLabel.push(n))
  let maxConditional = 0
  for (const n of perLabel.sort((a, b) => a - b)) maxConditional += (n / rows) * Math.min(units, Math.log2(n))
  return {
    conditionalEntropy: conditional,
    mutualInformation: mutual,
    classes,
    normalizedConditionalEntropy: ratio(conditional, maxConditional),
    normalizedMutualInformation: ratio(mutual, Math.min(labels, maxEntropy)),
  }
}
