// What patternHistogram keeps once its table is full: a HyperLogLog sketch of every
// distinct pattern (seeded with the table's patterns when the cap is reached) and a
// Space-Saving summary of the rows the table refused. From them: an estimate of the
// distinct count with its error, the most frequent pattern's count between bounds, and
// bounds on the entropy that hold however the refused rows are spread.
import {
  type HyperLogLog,
  createHyperLogLog,
  hyperLogLogAdd,
  hyperLogLogError,
  hyperLogLogEstimate,
  hyperLogLogMerge,
  isHyperLogLog,
  HLL_PRECISION,
} from '../bits/hyperloglog.js'
import { type PatternTable, tableForEach } from '../bits/pattern-table.js'
import {
  type SpaceSaving,
  createSpaceSaving,
  spaceSavingAdd,
  spaceSavingBytes,
  spaceSavingDistinct,
  spaceSavingFloor,
  spaceSavingMerge,
} from '../bits/space-saving.js'
import { isCount } from '../reducer.js'

/** Sketches of a histogram past its memory cap. */
export interface Overflow {
  /** Every distinct pattern seen, tracked or not. */
  distinct: HyperLogLog
  /** The rows the table refused, by pattern. */
  refused: SpaceSaving
}

/** Estimates of a histogram past its memory cap (`exact: false`). */
export interface OverflowEstimates {
  /** Estimated distinct patterns, between `distinct` (tracked) and tracked + untracked. */
  distinct: number
  /** Relative standard error of `distinct` (HyperLogLog: 1.04 / sqrt(65536) = 0.41%). */
  distinctError: number
  /** The entropy in bits lies in this range, however the untracked rows are spread. */
  entropyBounds: [number, number]
  /** The count of the most frequent pattern lies in this range. */
  topCountBounds: [number, number]
  /**
   * The most frequent untracked patterns (up to `heavyHitters` of them): packed words,
   * and their count among the untracked rows between `count - error` and `count`. Any
   * untracked pattern not listed was refused at most `floor` times.
   */
  heavyHitters: { words: Uint32Array; count: number; error: number }[]
  /** Most times any unlisted untracked pattern was refused. */
  floor: number
}

/** Bytes the sketches of one site take once the cap is reached. */
export function overflowBytes(k: number, wordsPerRow: number): number {
  return 2 ** HLL_PRECISION + spaceSavingBytes(k, wordsPerRow)
}

/** Sketches for a table that just filled up: every tracked pattern goes into the distinct sketch. */
export function startOverflow(table: PatternTable, k: number): Overflow {
  const distinct = createHyperLogLog()
  tableForEach(table, (slot) => hyperLogLogAdd(distinct, table.keys, slot * table.wordsPerRow, table.wordsPerRow))
  return { distinct, refused: createSpaceSaving(k, table.wordsPerRow) }
}

/** Adds every row's pattern to the distinct sketch (not to the refused rows). */
export function sketchRows(o: Overflow, words: Uint32Array, rows: number): void {
  const wpr = o.refused.wordsPerRow
  for (let r = 0, offset = 0; r < rows; r++, offset += wpr) hyperLogLogAdd(o.distinct, words, offset, wpr)
}

/** Records `count` refused occurrences of the pattern at `words[offset..]`. */
export function overflowAdd(o: Overflow, words: Uint32Array, offset: number, count: number): void {
  hyperLogLogAdd(o.distinct, words, offset, o.refused.wordsPerRow)
  spaceSavingAdd(o.refused, words, offset, count)
}

/**
 * The sketches of two merged histograms, given each side's table (a side that had not
 * overflowed is sketched from its table); null when neither overflowed. Neither input
 * changes.
 */
export function mergeOverflow(
  a: Overflow | null,
  b: Overflow | null,
  aTable: PatternTable,
  bTable: PatternTable,
  k: number,
): Overflow | null {
  if (a === null && b === null) return null
  const x = a ?? startOverflow(aTable, k)
  const y = b ?? startOverflow(bTable, k)
  const distinct = createHyperLogLog()
  hyperLogLogMerge(distinct, x.distinct)
  hyperLogLogMerge(distinct, y.distinct)
  const [big, small] = x.refused.k >= y.refused.k ? [x.refused, y.refused] : [y.refused, x.refused]
  return { distinct, refused: spaceSavingMerge(big, small) }
}

/** Sketches already found well-formed (each is checked in full once, then only as it changes). */
const checked = new WeakSet<object>()

/**
 * Why `o` is not well-formed sketches for patterns of `wordsPerRow` words of a state with
 * `untracked` refused rows, or null. O(registers + k) the first time an object is seen
 * and whenever `full`; O(k) otherwise.
 * Sketches that keep every invariant can still have been edited: they summarise rows the
 * state no longer holds, so no check can prove them right.
 */
export function overflowProblem(o: unknown, wordsPerRow: number, untracked: number, full = false): string | null {
  if (o === null || o === undefined) return null
  const problem = shapeProblem(o, wordsPerRow, full)
  if (problem !== null) return problem
  const s = (o as Overflow).refused
  let sum = 0
  let lower = 0
  for (let e = 0; e < s.size; e++) {
    sum += s.counts[e]!
    lower += s.counts[e]! - s.errors[e]!
  }
  if (lower > untracked) return 'the heavy hitters hold more rows than were refused'
  if (s.size < s.k && sum !== untracked) return 'a heavy-hitter summary with room left does not hold every refused row'
  return null
}

function shapeProblem(o: object, wordsPerRow: number, full: boolean): string | null {
  const x = o as Overflow
  if (!full && checked.has(x.distinct) && checked.has(x.refused) && x.refused.wordsPerRow === wordsPerRow) return null
  if (typeof x !== 'object' || !isHyperLogLog(x.distinct)) return 'the distinct-pattern sketch is malformed'
  const s = x.refused
  const shaped =
    typeof s === 'object' &&
    s !== null &&
    Number.isInteger(s.k) &&
    s.k >= 1 &&
    s.wordsPerRow === wordsPerRow &&
    isCount(s.size) &&
    s.size <= s.k &&
    s.keys instanceof Uint32Array &&
    s.keys.length === s.k * wordsPerRow &&
    s.counts instanceof Float64Array &&
    s.counts.length === s.k &&
    s.errors instanceof Float64Array &&
    s.errors.length === s.k
  if (!shaped) return 'the heavy-hitter summary does not match its layout'
  for (let e = 0; e < s.size; e++) {
    if (!isCount(s.counts[e]) || !isCount(s.errors[e]) || s.counts[e]! < 1 || s.errors[e]! >= s.counts[e]!)
      return 'a heavy-hitter count is impossible'
  }
  if (!spaceSavingDistinct(s)) return 'the heavy-hitter summary lists a pattern twice'
  checked.add(x.distinct)
  checked.add(s)
  return null
}

/**
 * Estimates from the tracked table, the untracked row count and the sketches. The entropy
 * bounds come from majorisation: the upper bound takes every untracked row as a pattern
 * of its own; the lower bound is the entropy of the most concentrated counts possible,
 * where the j largest patterns hold at most the j largest tracked counts plus the j
 * largest caps on untracked occurrences (heavy-hitter counts, then the floor), never
 * more than all untracked rows.
 */
export function overflowEstimates(
  o: Overflow,
  table: PatternTable,
  rows: number,
  untracked: number,
  upperEntropy: number,
): OverflowEstimates {
  const s = o.refused
  const floor = spaceSavingFloor(s)
  const hitters = Array.from({ length: s.size }, (_, e) => e).sort((a, b) => s.counts[b]! - s.counts[a]!)
  const tracked: number[] = []
  tableForEach(table, (_slot, c) => void tracked.push(c))
  tracked.sort((a, b) => b - a)
  const caps = hitters.map((e) => Math.min(s.counts[e]!, untracked))
  const estimate = Math.min(table.size + untracked, Math.max(table.size, hyperLogLogEstimate(o.distinct)))
  let topLower = tracked[0] ?? 0
  for (const e of hitters) topLower = Math.max(topLower, Math.min(untracked, s.counts[e]! - s.errors[e]!))
  const lower = concentratedEntropy(tracked, caps, floor, rows, untracked)
  return {
    distinct: estimate,
    distinctError: hyperLogLogError(o.distinct.p),
    entropyBounds: [Math.min(lower.entropy, upperEntropy), upperEntropy],
    topCountBounds: [topLower, Math.max(topLower, lower.top)],
    heavyHitters: hitters.map((e) => ({
      words: s.keys.slice(e * s.wordsPerRow, (e + 1) * s.wordsPerRow),
      count: s.counts[e]!,
      error: s.errors[e]!,
    })),
    floor: Math.min(floor, untracked),
  }
}

/** Entropy of the counts v_j = B_j - B_(j-1), B_j = min(rows, T_j + min(U, C_j)). */
function concentratedEntropy(
  tracked: number[],
  caps: number[],
  floor: number,
  rows: number,
  untracked: number,
): { entropy: number; top: number } {
  if (rows === 0) return { entropy: 0, top: 0 }
  let sumCLogC = 0
  let before = 0
  let t = 0
  let c = 0
  let top = 0
  const step = (v: number, times = 1): void => {
    if (v > 0) sumCLogC += times * v * Math.log2(v)
    before += v * times
  }
  for (let j = 0; before < rows; j++) {
    t += tracked[j] ?? 0
    const cap = j < caps.length ? caps[j]! : floor
    if (j >= tracked.length && j >= caps.length) {
      // only floor-sized pieces of the untracked rows remain: add them at once
      const left = rows - before
      if (floor <= 0) {
        step(left)
        break
      }
      const whole = Math.floor(left / floor)
      step(floor, whole)
      step(left - whole * floor)
      break
    }
    c += cap
    const bound = Math.min(rows, t + Math.min(untracked, c))
    const v = bound - before
    if (j === 0) top = v
    step(v)
  }
  const h = Math.log2(rows) - sumCLogC / rows
  return { entropy: Math.max(h, 0), top }
}
