/* What stands out in a summary, one item per site and finding, grouped by kind for a page or a terminal. */
import type { SiteSummary } from './summary.js'

/** Kinds of finding, in the order they are shown. */
export const HIGHLIGHT_KINDS = [
  ['non-finite', 'non-finite activations'],
  ['dead', 'dead units'],
  ['always-on', 'always-on units'],
  ['cap-never', 'capped units never at their cap'],
  ['cap-always', 'capped units always at their cap'],
  ['near-unique', 'near-unique patterns'],
  ['dominant', 'one dominant pattern'],
  ['capped-histogram', 'histogram past its memory cap'],
] as const

export type HighlightKind = (typeof HIGHLIGHT_KINDS)[number][0]

/** One finding at one site. */
export interface Highlight {
  readonly kind: HighlightKind
  readonly site: string
  readonly text: string
  /** How strong it is (a share in [0, 1]), to show the strongest first. */
  readonly weight: number
}

/** A share of rows at or above which patterns are called near-unique. */
export const NEAR_UNIQUE = 0.9

/** Every finding of a summary, in site order. */
export function findHighlights(rows: readonly SiteSummary[]): Highlight[] {
  const out: Highlight[] = []
  const add = (kind: HighlightKind, site: string, text: string, weight: number): void =>
    void out.push({ kind, site, text: `${site}: ${text}`, weight })
  for (const r of rows) {
    const cap = r.site.endsWith(':saturated')
    const units = Math.max(1, r.units)
    if (r.nonFinite !== null && r.nonFinite > 0)
      add(
        'non-finite',
        r.site,
        `${r.nonFinite} activations were NaN or ±Infinity (NaN counts as off, +Infinity as on); check the inputs before reading the rest.`,
        1,
      )
    if (r.dead !== null && r.dead > 0) {
      if (cap) add('cap-never', r.site, `${r.dead} of ${r.units} capped units never reach their cap.`, r.dead / units)
      else add('dead', r.site, `${r.dead} of ${r.units} units are dead (never on).`, r.dead / units)
    }
    if (r.alwaysOn !== null && r.alwaysOn > 0) {
      if (cap) add('cap-always', r.site, `${r.alwaysOn} of ${r.units} capped units are always at their cap.`, r.alwaysOn / units)
      else add('always-on', r.site, `${r.alwaysOn} of ${r.units} units are always on (linear).`, r.alwaysOn / units)
    }
    if (r.distinct !== null && r.rows > 1 && r.distinct >= NEAR_UNIQUE * r.rows) {
      const text =
        r.distinct === r.rows
          ? `every row has its own pattern (${r.distinct} of ${r.rows})`
          : `${r.distinct} distinct patterns in ${r.rows} rows (${((100 * r.distinct) / r.rows).toFixed(0)}%)`
      add('near-unique', r.site, `${text}; histogram measures say little here.`, r.distinct / r.rows)
    }
    if (r.topShare !== null && r.topShare > 0.5)
      add('dominant', r.site, `one pattern holds ${(100 * r.topShare).toFixed(0)}% of the rows.`, r.topShare)
    if (!r.exact) add('capped-histogram', r.site, 'the histogram reached its memory cap; distinct is a lower bound.', 1)
  }
  return out
}

/** Findings grouped by kind (in {@link HIGHLIGHT_KINDS} order), strongest first within each. */
export function groupHighlights(items: readonly Highlight[]): { kind: HighlightKind; title: string; items: Highlight[] }[] {
  return HIGHLIGHT_KINDS.map(([kind, title]) => ({
    kind,
    title,
    items: items.filter((h) => h.kind === kind).sort((a, b) => b.weight - a.weight),
  })).filter((g) => g.items.length > 0)
}
