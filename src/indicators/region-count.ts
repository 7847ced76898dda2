/* The number of distinct whole-network patterns (activation regions) a batch visits. */
import type { Measurement } from '../compare/measurement.js'
import { createTable, tableAddRows } from '../bits/pattern-table.js'
import { INDICATOR_OPTIONS } from './examples.js'
import { type IndicatorOptions, exampleRows } from './examples.js'

/** Result of {@link regionCount}. */
export interface RegionCountResult {
  /** Distinct whole-network patterns: the linear regions the examples fall in. */
  regions: number
  examples: number
  /** Bits of the whole-network pattern. */
  units: number
}

/**
 * The number of linear regions a batch falls in, as TE-NAS counts them (Chen et al.,
 * 2021): the distinct whole-network patterns among its examples, exactly (an open
 * addressing table on the patterns themselves, not hashes that may collide).
 *
 * @example
 * ```ts
 * const m = await probe.measurePatterns(batch)
 * console.log(regionCount(m).regions, 'of', m.examples)
 * ```
 */
export function regionCount(measurement: Measurement<unknown>, options: IndicatorOptions = {}): RegionCountResult {
  const where = 'regionCount(measurement, options)'
  const { sites } = INDICATOR_OPTIONS.parse(options, where)
  const { examples, rows } = exampleRows(measurement, where, sites)
  // each site's example rows are whole words (positions padded alike), so word-aligned
  // concatenation keeps distinct patterns distinct
  const wpr = rows.reduce((s, r) => s + r.wordsPerExample, 0)
  const joined = new Uint32Array(examples * wpr)
  for (let e = 0; e < examples; e++) {
    let at = e * wpr
    for (const r of rows) {
      joined.set(r.words.subarray(e * r.wordsPerExample, (e + 1) * r.wordsPerExample), at)
      at += r.wordsPerExample
    }
  }
  const table = createTable(wpr, 0)
  tableAddRows(table, joined, examples, Number.POSITIVE_INFINITY)
  return { regions: table.size, examples, units: rows.reduce((s, r) => s + r.bits, 0) }
}
