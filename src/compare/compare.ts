/* Comparing two retained measurements of the same inputs, site by site: flip rates and histogram similarity. */
import { addColumnCounts } from '../bits/column-counts.js'
import { popcount32 } from '../bits/popcount.js'
import { wordsFor } from '../bits/pack.js'
import { isCount } from '../reducer.js'
import { InstrumentError } from '../errors.js'
import { getOwn, putOwn } from '../keys.js'
import { type HistogramComparison, type HistogramComparisonOptions, compareHistograms } from './histograms.js'
import type { Measurement, RetainedPatterns } from './measurement.js'
import { HISTOGRAM_COMPARISON } from './histograms.js'

/** How one site's patterns changed between two measurements of the same inputs. */
export interface Comparison extends Omit<HistogramComparison, 'kind'> {
  /** What made this result: a comparison of two measurements' patterns (flip rates and histogram similarity). */
  kind: 'comparison'
  /** Patterns compared (the same in both measurements). */
  rows: number
  /** Units per pattern. */
  units: number
  /** Fraction of all bits that differ between the same row's patterns. */
  flipRate: number
  /** Per unit, fraction of rows in which it differs. */
  unitFlipRate: Float64Array
  /** Rows whose pattern changed in at least one unit. */
  rowsChanged: number
  /** `rowsChanged / rows` (0 when no rows). */
  rowsChangedShare: number
}

const ROW_CHUNK = 4096

/** Throws `CORRUPT_DATA` unless retained rows hold the words their layout says. */
function checkRows(p: RetainedPatterns, id: string): void {
  const ok =
    p !== null &&
    typeof p === 'object' &&
    isCount(p.rows) &&
    isCount(p.units) &&
    p.units >= 1 &&
    p.wordsPerRow === wordsFor(p.units) &&
    p.words instanceof Uint32Array &&
    p.words.length === p.rows * p.wordsPerRow
  if (!ok)
    throw new InstrumentError(
      'CORRUPT_DATA',
      `compare(): the retained patterns of site "${id}" do not match their layout; the measurement is damaged.`,
      { site: id },
    )
}

function compareRows(a: RetainedPatterns, b: RetainedPatterns): Omit<Comparison, Exclude<keyof HistogramComparison, 'kind'>> {
  const { rows, units, wordsPerRow } = a
  const flips = new Float64Array(units)
  const xor = new Uint32Array(Math.min(rows, ROW_CHUNK) * wordsPerRow)
  let differing = 0
  let rowsChanged = 0
  for (let start = 0; start < rows; start += ROW_CHUNK) {
    const n = Math.min(ROW_CHUNK, rows - start)
    for (let r = 0; r < n; r++) {
      let changed = 0
      const base = (start + r) * wordsPerRow
      for (let w = 0; w < wordsPerRow; w++) {
        const x = (a.words[base + w]! ^ b.words[base + w]!) >>> 0
        xor[r * wordsPerRow + w] = x
        differing += popcount32(x)
        changed |= x
      }
      if (changed !== 0) rowsChanged++
    }
    addColumnCounts(flips, xor, n, wordsPerRow, units)
  }
  for (let u = 0; u < units; u++) flips[u] = rows > 0 ? flips[u]! / rows : 0
  return {
    kind: 'comparison',
    rows,
    units,
    flipRate: rows > 0 && units > 0 ? differing / (rows * units) : 0,
    unitFlipRate: flips,
    rowsChanged,
    rowsChangedShare: rows > 0 ? rowsChanged / rows : 0,
  }
}

function isMeasurement(x: unknown): x is Measurement<unknown> {
  const m = x as Partial<Measurement<unknown>> | null
  return typeof m === 'object' && m !== null && m.kind === 'measurement' && typeof m.patterns === 'object'
}

/**
 * Compares two retained measurements of the SAME inputs (`probe.measurePatterns(x)`),
 * site by site: bit flips of each row's pattern and the similarity of the two histograms.
 * `a` is the reference (e.g. the first or the final measurement).
 *
 * @example
 * ```ts
 * const before = await probe.measurePatterns(probeSet)
 * await model.fit(xs, ys, { epochs: 1 })
 * const after = await probe.measurePatterns(probeSet)
 * for (const [id, c] of Object.entries(compare(before, after))) {
 *   console.log(id, `${(100 * c.flipRate).toFixed(1)}% bits flipped`, c.weightedJaccard)
 * }
 * ```
 */
export function compare(
  a: Measurement<unknown>,
  b: Measurement<unknown>,
  options: HistogramComparisonOptions = {},
): Record<string, Comparison> {
  HISTOGRAM_COMPARISON.parse(options, 'compare(a, b, options)')
  if (!isMeasurement(a) || !isMeasurement(b)) {
    throw new InstrumentError('INVALID_INPUT', 'compare() takes two measurements made with probe.measurePatterns(x).')
  }
  const idsA = Object.keys(a.patterns)
  const idsB = Object.keys(b.patterns)
  const describe = (id: string): string => {
    const pa = getOwn(a.patterns, id)
    const pb = getOwn(b.patterns, id)
    if (pa === undefined || pb === undefined) return `site "${id}" is in only one of them`
    return `site "${id}" has ${pa.units} units x ${pa.positions} positions in one and ${pb.units} x ${pb.positions} in the other`
  }
  const differing = [...new Set([...idsA, ...idsB])].filter((id) => {
    const pa = getOwn(a.patterns, id)
    const pb = getOwn(b.patterns, id)
    return pa === undefined || pb === undefined || pa.units !== pb.units || pa.positions !== pb.positions
  })
  if (differing.length > 0) {
    throw new InstrumentError(
      'MODEL_MISMATCH',
      `The two measurements come from models with different sites: ${differing.slice(0, 3).map(describe).join('; ')}. ` +
        'Compare measurements of the same architecture, instrumented with the same options.',
    )
  }
  if (a.inputs !== b.inputs || a.examples !== b.examples) {
    throw new InstrumentError(
      'INPUT_MISMATCH',
      `The two measurements ran on different inputs (${a.examples} vs ${b.examples} examples, ` +
        `fingerprints ${a.inputs} vs ${b.inputs}). Measure the same probe set, in the same order, each time.`,
    )
  }
  const out: Record<string, Comparison> = {}
  for (const id of idsA) {
    const pa = a.patterns[id]!
    const pb = b.patterns[id]!
    checkRows(pa, id)
    checkRows(pb, id)
    if (pa.rows !== pb.rows) {
      throw new InstrumentError('INPUT_MISMATCH', `Site "${id}" recorded ${pa.rows} rows in one measurement and ${pb.rows} in the other.`, {
        site: id,
      })
    }
    putOwn(out, id, { ...compareHistograms(pa.histogram, pb.histogram, options), ...compareRows(pa, pb) })
  }
  return out
}
