/* One row per example of a retained measurement's sites, shared by the published indicators. */
import type { Measurement } from '../compare/measurement.js'
import { wordsFor } from '../bits/pack.js'
import { InstrumentError } from '../errors.js'
import { isCount } from '../reducer.js'
import { type Declaration, declareOptions, strings } from '../options.js'

/** One site's patterns, one row per example (all positions of a conv example in one row). */
export interface ExampleRows {
  readonly id: string
  /** Words per example: positions times words per position. */
  readonly wordsPerExample: number
  /** Bits per example: positions times units. */
  readonly bits: number
  readonly words: Uint32Array
}

/** Options shared by the indicators. */
export interface IndicatorOptions {
  /** Site ids to use (default every site but `network` and `:saturated` planes: the sign of every ReLU once). */
  sites?: readonly string[]
}

/** The declaration of {@link IndicatorOptions}. */
export const INDICATOR_OPTIONS = /* @__PURE__ */ declareOptions(
  'indicator(measurement, options)',
  () =>
    ({
      sites: { check: strings },
    }) satisfies Declaration<IndicatorOptions>,
)

/** The sites an indicator uses, each as one row per example; coded errors for anything else. */
export function exampleRows(
  measurement: Measurement<unknown>,
  where: string,
  sites?: readonly string[],
): { examples: number; rows: ExampleRows[] } {
  if (
    typeof measurement !== 'object' ||
    measurement === null ||
    measurement.kind !== 'measurement' ||
    typeof measurement.patterns !== 'object'
  ) {
    throw new InstrumentError('INVALID_INPUT', `${where} takes a measurement with patterns: probe.measurePatterns(x).`)
  }
  const all = Object.keys(measurement.patterns)
  // ':saturated' cannot end a layer's id (':' is escaped there), and the whole-network site says what it is
  const ids = sites ?? all.filter((id) => measurement.patterns[id]?.network !== true && !id.endsWith(':saturated'))
  if (!Array.isArray(ids) || ids.length === 0 || !ids.every((id) => typeof id === 'string')) {
    throw new InstrumentError('INVALID_INPUT', `${where}: no site to use; the measurement has ${all.join(', ') || 'none'}.`)
  }
  if (new Set(ids).size !== ids.length)
    throw new InstrumentError('INVALID_OPTION', `${where}: sites names a site twice; each site's bits count once.`)
  const examples = measurement.examples
  if (!isCount(examples))
    throw new InstrumentError('CORRUPT_DATA', `${where}: the measurement's example count is ${String(examples)}; it is damaged.`)
  const rows = ids.map((id) => {
    const p = Object.hasOwn(measurement.patterns, id) ? measurement.patterns[id] : undefined
    if (p === undefined)
      throw new InstrumentError('UNKNOWN_SITE', `${where}: the measurement has no site "${id}"; it has ${all.join(', ')}.`, { site: id })
    const ok =
      typeof p === 'object' &&
      p !== null &&
      isCount(p.rows) &&
      isCount(p.units) &&
      p.units >= 1 &&
      isCount(p.positions) &&
      p.positions >= 1 &&
      p.wordsPerRow === wordsFor(p.units) &&
      p.words instanceof Uint32Array &&
      p.words.length === p.rows * p.wordsPerRow
    if (!ok)
      throw new InstrumentError(
        'CORRUPT_DATA',
        `${where}: the patterns of site "${id}" do not match their layout; the measurement is damaged.`,
        { site: id },
      )
    if (p.rows !== examples * p.positions) {
      throw new InstrumentError(
        'INVALID_INPUT',
        `${where}: site "${id}" has ${p.rows} patterns for ${examples} examples of ${p.positions} positions (a shared layer?); leave it out with sites.`,
        { site: id },
      )
    }
    return { id, wordsPerExample: p.positions * p.wordsPerRow, bits: p.positions * p.units, words: p.words }
  })
  return { examples, rows }
}
