import { InstrumentError } from '../errors.js'

/** One site's headline numbers, from whatever built-in reducers the probe ran. */
export interface SiteSummary {
  site: string
  /** Bits per pattern. */
  units: number
  /** Patterns per example (conv positions), or null when unknown. */
  positions: number | null
  /** Patterns seen. */
  rows: number
  /** Units never on (`unitStats`), or null without it. */
  dead: number | null
  /** Units always on. */
  alwaysOn: number | null
  /** Mean binary entropy of the units, in bits (1 = on half the time). */
  unitEntropy: number | null
  /** Distinct patterns (`patternHistogram`). */
  distinct: number | null
  /** Pattern entropy over its maximum, min(units, log2 rows). */
  normalizedEntropy: number | null
  /** Share of rows holding the most frequent pattern. */
  topShare: number | null
  /** Mean Hamming distance between patterns of a batch over units (`hamming`). */
  diversity: number | null
  /** H(A|L) and I(A;L) in bits, with labels. */
  conditionalEntropy: number | null
  mutualInformation: number | null
  /** Non-finite activations seen (NaN counts as off, +Infinity as on), or null without `unitStats`. */
  nonFinite: number | null
  /** False when a histogram passed its memory cap (distinct is then a lower bound). */
  exact: boolean
}

type Loose = Record<string, unknown>
const num = (x: unknown): number | null => (typeof x === 'number' ? x : null)
const find = (reducers: Loose, has: readonly string[]): Loose | undefined =>
  Object.values(reducers).find((r): r is Loose => typeof r === 'object' && r !== null && has.every((k) => k in r))

/**
 * One row per site of a probe's results (or a measurement's): units, dead and always-on
 * units, unit entropy, distinct patterns, normalised entropy, top-pattern share, Hamming
 * diversity and label information, each null when the reducer behind it did not run.
 * Rows print well with `console.table`.
 *
 * @example
 * ```ts
 * console.table(summarize(await probe.measure(xs), probe.sites))
 * ```
 */
export function summarize(
  results: Readonly<Record<string, Readonly<Record<string, unknown>>>>,
  sites?: readonly { readonly id: string; readonly positions: number | null }[],
): SiteSummary[] {
  if (typeof results !== 'object' || results === null) throw new InstrumentError('INVALID_INPUT', 'summarize takes the results of probe.results() or probe.measure().')
  const ids = sites?.map((s) => s.id) ?? Object.keys(results)
  return ids.map((id) => {
    const reducers = (Object.hasOwn(results, id) ? results[id] : undefined) as Loose | undefined
    if (reducers === undefined) throw new InstrumentError('UNKNOWN_SITE', `summarize: the results have no site "${id}".`, { site: id })
    const u = find(reducers, ['frequency', 'dead', 'meanEntropy'])
    const h = find(reducers, ['distinct', 'normalizedEntropy', 'topFraction'])
    const d = find(reducers, ['meanDistance', 'pairs'])
    const units = num(u?.['units'] ?? h?.['units'] ?? d?.['units']) ?? 0
    return {
      site: id,
      units,
      positions: sites?.find((s) => s.id === id)?.positions ?? null,
      rows: num(u?.['rows'] ?? h?.['rows'] ?? d?.['rows']) ?? 0,
      dead: num(u?.['dead']),
      alwaysOn: num(u?.['alwaysOn']),
      unitEntropy: num(u?.['meanEntropy']),
      distinct: num(h?.['distinct']),
      normalizedEntropy: num(h?.['normalizedEntropy']),
      topShare: num(h?.['topFraction']),
      // no pair compared (batches of one pattern) is no reading, not zero diversity
      diversity: num(d?.['pairs']) === 0 ? null : num(d?.['meanDistance']),
      conditionalEntropy: num(h?.['conditionalEntropy']),
      mutualInformation: num(h?.['mutualInformation']),
      nonFinite: num(u?.['nonFinite']),
      exact: h?.['exact'] !== false,
    }
  })
}
