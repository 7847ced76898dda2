/** Small hand-written SVG charts for the self-contained report: no dependency, no script. */

const STOPS = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
] as const

/** Viridis-like colour of v in [0, 1]. */
export function ramp(v: number): string {
  const x = Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0)) * (STOPS.length - 1)
  const i = Math.min(STOPS.length - 2, Math.floor(x))
  const f = x - i
  const [a, b] = [STOPS[i]!, STOPS[i + 1]!]
  const c = a.map((av, k) => Math.round(av + f * (b[k]! - av)))
  return `rgb(${c[0]},${c[1]},${c[2]})`
}

export const escape = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
const f3 = (x: number): string => (Math.round(x * 1000) / 1000).toString()

/** A strip of one cell per unit, coloured by its value in [0, 1], with a tooltip per cell. */
export function strip(values: ArrayLike<number>, label: (i: number, v: number) => string, width = 640): string {
  const n = values.length
  const cell = width / Math.max(1, n)
  const cells: string[] = []
  for (let i = 0; i < n; i++) {
    const v = values[i]!
    cells.push(`<rect x="${f3(i * cell)}" width="${f3(Math.max(cell, 0.5))}" height="18" fill="${ramp(v)}"><title>${escape(label(i, v))}</title></rect>`)
  }
  return `<svg class="strip" viewBox="0 0 ${width} 18" width="${width}" height="18" preserveAspectRatio="none" role="img">${cells.join('')}</svg>`
}

/** A log-log plot of counts sorted in decreasing order (pattern frequency against rank). */
export function rankPlot(counts: readonly number[], width = 300, height = 160): string {
  const sorted = [...counts].sort((a, b) => b - a)
  if (sorted.length === 0) return '<p class="note">No patterns.</p>'
  const m = { l: 40, r: 8, t: 8, b: 28 }
  const maxX = Math.log10(sorted.length) || 1
  const maxY = Math.log10(sorted[0]!) || 1
  const x = (rank: number): number => m.l + (Math.log10(rank) / maxX) * (width - m.l - m.r)
  const y = (count: number): number => height - m.b - (Math.log10(count) / maxY) * (height - m.t - m.b)
  // at most one point per screen pixel column
  const points: string[] = []
  let last = -1
  sorted.forEach((c, i) => {
    const px = Math.round(x(i + 1))
    if (px !== last || i === sorted.length - 1) points.push(`${f3(x(i + 1))},${f3(y(c))}`)
    last = px
  })
  return (
    `<svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img"><title>pattern frequency by rank</title>` +
    `<line x1="${m.l}" y1="${height - m.b}" x2="${width - m.r}" y2="${height - m.b}" stroke="#888"/><line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${height - m.b}" stroke="#888"/>` +
    `<polyline fill="none" stroke="#3b528b" stroke-width="1.5" points="${points.join(' ')}"/>` +
    `<text x="${width / 2}" y="${height - 6}" text-anchor="middle">rank (log, 1 to ${sorted.length})</text>` +
    `<text x="10" y="${height / 2}" transform="rotate(-90 10 ${height / 2})" text-anchor="middle">count (log, max ${sorted[0]})</text></svg>`
  )
}

/** Lines over categories (sites in depth order), values in [0, 1]. */
export function depthLines(labels: readonly string[], series: readonly { name: string; colour: string; values: readonly (number | null)[] }[], width = 640, height = 200): string {
  const m = { l: 36, r: 8, t: 10, b: 60 }
  const n = labels.length
  const x = (i: number): number => m.l + (n === 1 ? 0.5 : i / (n - 1)) * (width - m.l - m.r)
  const y = (v: number): number => height - m.b - v * (height - m.t - m.b)
  const parts = [`<svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img"><title>by depth</title>`]
  for (const v of [0, 0.5, 1]) parts.push(`<line x1="${m.l}" x2="${width - m.r}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/><text x="${m.l - 4}" y="${y(v) + 4}" text-anchor="end">${v}</text>`)
  labels.forEach((l, i) => parts.push(`<text x="${f3(x(i))}" y="${height - m.b + 12}" transform="rotate(35 ${f3(x(i))} ${height - m.b + 12})">${escape(l.length > 24 ? `${l.slice(0, 23)}…` : l)}</text>`))
  series.forEach((s, k) => {
    const pts = s.values.map((v, i) => (v === null ? null : `${f3(x(i))},${f3(y(v))}`)).filter((p): p is string => p !== null)
    parts.push(`<polyline fill="none" stroke="${s.colour}" stroke-width="2" points="${pts.join(' ')}"/>`)
    for (const p of pts) parts.push(`<circle cx="${p.split(',')[0]}" cy="${p.split(',')[1]}" r="3" fill="${s.colour}"/>`)
    parts.push(`<rect x="${m.l + 10 + k * 170}" y="${height - 14}" width="10" height="10" fill="${s.colour}"/><text x="${m.l + 24 + k * 170}" y="${height - 5}">${escape(s.name)}</text>`)
  })
  parts.push('</svg>')
  return parts.join('')
}

/** A heatmap: rows (sites) by columns (measurements), values in [0, 1]. */
export function heat(rows: readonly string[], columns: readonly string[], value: (r: number, c: number) => number | null, width = 640): string {
  const label = 160
  const cw = (width - label) / Math.max(1, columns.length)
  const rh = 16
  const height = rows.length * rh + 24
  const parts = [`<svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img">`]
  rows.forEach((r, i) => {
    parts.push(`<text x="${label - 4}" y="${i * rh + 12}" text-anchor="end">${escape(r.length > 22 ? `${r.slice(0, 21)}…` : r)}</text>`)
    columns.forEach((c, j) => {
      const v = value(i, j)
      parts.push(`<rect x="${f3(label + j * cw)}" y="${i * rh}" width="${f3(cw + 0.3)}" height="${rh - 1}" fill="${v === null ? '#eee' : ramp(v)}"><title>${escape(`${r} @ ${c}: ${v === null ? 'n/a' : f3(v)}`)}</title></rect>`)
    })
  })
  parts.push(`<text x="${label}" y="${height - 6}">${escape(columns[0] ?? '')}</text><text x="${width}" y="${height - 6}" text-anchor="end">${escape(columns[columns.length - 1] ?? '')}</text></svg>`)
  return parts.join('')
}
