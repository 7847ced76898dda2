/* The short summary the report command prints on the terminal: totals, what stands out by kind, and any warning. */
import type { SiteSummary } from '../metrics/summary.js'
import { findHighlights, groupHighlights } from '../metrics/highlights.js'

const n = (x: number): string => x.toLocaleString('en-US')

/** A few lines: sites and units, dead and always-on units, distinct patterns per site, what stands out (counts by kind), the warning. */
export function terminalSummary(rows: readonly SiteSummary[], warning: string | null): string[] {
  const sign = rows.filter((r) => !r.site.endsWith(':saturated') && r.site !== 'network')
  const units = sign.reduce((a, r) => a + r.units, 0)
  const dead = sign.reduce((a, r) => a + (r.dead ?? 0), 0)
  const on = sign.reduce((a, r) => a + (r.alwaysOn ?? 0), 0)
  const lines = [
    `${sign.length} sites, ${n(units)} units: ${n(dead)} dead (${((100 * dead) / Math.max(1, units)).toFixed(1)}%), ${n(on)} always on`,
  ]
  const shares = sign
    .map((r) => r.patternShare)
    .filter((s): s is number => s !== null)
    .sort((a, b) => a - b)
  if (shares.length > 0) {
    const pct = (x: number): string => `${(100 * x).toFixed(1)}%`
    lines.push(
      `distinct patterns per row: median ${pct(shares[Math.floor(shares.length / 2)]!)} over sites (from ${pct(shares[0]!)} to ${pct(shares[shares.length - 1]!)})`,
    )
    const capped = sign.filter((r) => !r.exact).length
    if (capped > 0)
      lines.push(
        `${capped} site${capped === 1 ? '' : 's'} passed the histogram's memory cap: their distinct counts are lower bounds and their entropies estimates (marked ≥ and ≈ in the report)`,
      )
  }
  const groups = groupHighlights(findHighlights(rows))
  if (groups.length > 0)
    lines.push(`stands out: ${groups.map((g) => `${g.title} at ${g.items.length} site${g.items.length === 1 ? '' : 's'}`).join('; ')}`)
  if (warning !== null) lines.push(`warning: ${warning}`)
  return lines
}
