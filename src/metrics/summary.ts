/* One row of headline numbers per site, read from built-in results by their kind through the metric catalogue. */
import { InstrumentError } from '../errors.js'
import { type ResultKind, metricInfo, resultOfKind } from './catalogue.js'

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
  meanEntropy: number | null
  /** Distinct patterns (`patternHistogram`). */
  distinct: number | null
  /** Distinct patterns over rows: near 1, almost every row has its own pattern. */
  patternShare: number | null
  /** Pattern entropy over its maximum, min(units, log2 rows). */
  normalizedEntropy: number | null
  /** Share of rows holding the most frequent pattern. */
  topShare: number | null
  /** Mean Hamming distance between patterns of a batch over units (`hamming`). */
  meanDistance: number | null
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

/** The catalogue's metrics a summary row holds (0.1 results name `topShare` `topFraction`). */
export const SUMMARY_METRICS = [
  'dead',
  'alwaysOn',
  'meanEntropy',
  'distinct',
  'patternShare',
  'normalizedEntropy',
  'topShare',
  'meanDistance',
  'conditionalEntropy',
  'mutualInformation',
  'nonFinite',
] as const satisfies readonly (keyof SiteSummary)[]

/** What `summarize` reads a probe by: its sites and its current results. */
interface ProbeLike {
  readonly sites: readonly { readonly id: string; readonly positions: number | null }[]
  results(): Readonly<Record<string, Readonly<Record<string, unknown>>>>
}

const isProbe = (x: unknown): x is ProbeLike =>
  typeof x === 'object' && x !== null && Array.isArray((x as ProbeLike).sites) && typeof (x as ProbeLike).results === 'function'

/**
 * One row per site of a probe's results (or a measurement's): units, dead and always-on
 * units, unit entropy, distinct patterns, normalised entropy, top-pattern share, Hamming
 * diversity and label information, each null when the reducer behind it did not run.
 * Rows print well with `console.table`.
 *
 * @example
 * ```ts
 * console.table(summarize(await probe.measure(xs), probe.sites))
 * console.table(summarize(probe)) // what the training stream holds
 * ```
 */
export function summarize(
  source: Readonly<Record<string, Readonly<Record<string, unknown>>>> | ProbeLike,
  sites?: readonly { readonly id: string; readonly positions: number | null }[],
): SiteSummary[] {
  if (isProbe(source)) return summarize(source.results(), sites ?? source.sites)
  const results = source
  if (typeof results !== 'object' || results === null)
    throw new InstrumentError('INVALID_INPUT', 'summarize takes the results of probe.results() or probe.measure().')
  const ids = sites?.map((s) => s.id) ?? Object.keys(results)
  return ids.map((id) => {
    const reducers = (Object.hasOwn(results, id) ? results[id] : undefined) as Loose | undefined
    if (reducers === undefined) throw new InstrumentError('UNKNOWN_SITE', `summarize: the results have no site "${id}".`, { site: id })
    const of = (kind: ResultKind): Loose | undefined => resultOfKind(reducers, kind)
    const u = of('unitStats')
    const h = of('patternHistogram')
    const d = of('hamming')
    const row: Record<string, unknown> = {
      site: id,
      units: num(u?.['units'] ?? h?.['units'] ?? d?.['units']) ?? 0,
      positions: sites?.find((s) => s.id === id)?.positions ?? null,
      rows: num(u?.['rows'] ?? h?.['rows'] ?? d?.['rows']) ?? 0,
    }
    for (const key of SUMMARY_METRICS) {
      const info = metricInfo(key)!
      const r = of(info.kind as ResultKind)
      row[key] = num(r?.[key] ?? (key === 'topShare' ? r?.['topFraction'] : undefined))
    }
    // 0.1 results have no patternShare: it is distinct / rows
    const [distinct, rows] = [num(h?.['distinct']), num(h?.['rows'])]
    if (row['patternShare'] === null && distinct !== null && rows !== null && rows > 0) row['patternShare'] = distinct / rows
    // no pair compared (batches of one pattern) is no reading, not zero diversity
    if (num(d?.['pairs']) === 0) row['meanDistance'] = null
    return { ...row, exact: h?.['exact'] !== false } as SiteSummary
  })
}
