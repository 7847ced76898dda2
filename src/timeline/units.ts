/* Per-unit series of a timeline and when each unit died. */
import type { Comparison } from '../compare/compare.js'
import type { HistogramComparison } from '../compare/histograms.js'
import { InstrumentError } from '../errors.js'
import { resultOfKind } from '../metrics/catalogue.js'

/** One value of one unit, as in a long-format table. */
export interface UnitRow {
  step: number
  epoch: number | null
  examples: number | null
  label: string | null
  site: string
  unit: number
  metric: string
  value: number
}

/** The parts of a timeline the per-unit exports read. */
interface Entries {
  readonly keep: 'results' | 'histograms' | 'patterns'
  readonly entries: readonly {
    step: number
    epoch?: number
    examples?: number
    label?: string
    results: Record<string, Record<string, unknown>>
  }[]
  compare(reference: 'first' | 'previous' | 'final' | number): (Record<string, Comparison | HistogramComparison> | undefined)[]
}

type Reference = 'first' | 'previous' | 'final' | number

const nameOf = (ref: Reference): string => (typeof ref === 'number' ? `vsEntry${ref}` : `vs${ref[0]!.toUpperCase()}${ref.slice(1)}`)

/**
 * Every per-unit array of the results (e.g. `units.frequency`, `units.entropy`,
 * `dormant.scores`) and, for each reference in `against`, each unit's flip rate against
 * it (`vsFirst.unitFlipRate`; needs `keep: 'patterns'`), one row per entry, site, unit
 * and metric.
 */
export function unitRows(t: Entries, against: readonly Reference[] = []): UnitRow[] {
  if (against.length > 0 && t.keep !== 'patterns') {
    throw new InstrumentError(
      'INVALID_OPTION',
      `Per-unit flip rates compare every pattern, which this timeline does not keep (keep: '${t.keep}'); create it with keep: 'patterns'.`,
    )
  }
  const comparisons = against.map((ref) => [nameOf(ref), t.compare(ref)] as const)
  const rows: UnitRow[] = []
  t.entries.forEach((entry, i) => {
    const base = { step: entry.step, epoch: entry.epoch ?? null, examples: entry.examples ?? null, label: entry.label ?? null }
    for (const [site, reducers] of Object.entries(entry.results)) {
      const arrays: [string, ArrayLike<number>][] = []
      for (const [reducer, result] of Object.entries(reducers)) {
        if (typeof result !== 'object' || result === null) continue
        for (const [field, value] of Object.entries(result)) {
          // per-unit arrays only: as long as the site's units (histograms of distances are not)
          const perUnit =
            (value instanceof Float64Array || value instanceof Uint8Array) && value.length === (result as { units?: unknown }).units
          if (perUnit) arrays.push([`${reducer}.${field}`, value])
        }
      }
      for (const [name, list] of comparisons) {
        const c = list[i]?.[site] as Partial<Comparison> | undefined
        if (c?.unitFlipRate !== undefined) arrays.push([`${name}.unitFlipRate`, c.unitFlipRate])
      }
      for (const [metric, values] of arrays)
        for (let u = 0; u < values.length; u++) rows.push({ ...base, site, unit: u, metric, value: values[u]! })
    }
  })
  return rows
}

/** When a unit died: the first entry of the run of entries, reaching to the last, in which it was never on. */
export interface UnitDeath {
  site: string
  unit: number
  step: number
  epoch: number | null
}

/**
 * The units dead at the last entry (never on: `units.frequency` 0, from `unitStats`) and
 * the entry from which they stayed dead; a unit that was dead, came back and is alive at
 * the end is not listed.
 */
export function unitDeaths(t: Entries): UnitDeath[] {
  const last = t.entries[t.entries.length - 1]
  if (last === undefined) return []
  const out: UnitDeath[] = []
  for (const site of Object.keys(last.results)) {
    // an entry that measured no rows says nothing about a unit
    const freq = (i: number): Float64Array | undefined => {
      const r = resultOfKind(t.entries[i]!.results[site], 'unitStats') as { frequency?: unknown; rows?: number } | undefined
      return r?.frequency instanceof Float64Array && r.rows !== 0 ? r.frequency : undefined
    }
    // entries that measured rows, in order; the others are skipped, not read as dead
    const measured = t.entries.map((_, i) => i).filter((i) => freq(i) !== undefined)
    const last = measured[measured.length - 1]
    if (last === undefined) continue
    const final = freq(last)!
    for (let u = 0; u < final.length; u++) {
      if (final[u] !== 0) continue
      let k = measured.length - 1
      while (k > 0 && freq(measured[k - 1]!)![u] === 0) k--
      const e = t.entries[measured[k]!]!
      out.push({ site, unit: u, step: e.step, epoch: e.epoch ?? null })
    }
  }
  return out
}
