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

/** Powers of ten from 1 to `max` (at least 1), as axis ticks of a log scale. */
function decades(max: number): number[] {
  const out: number[] = []
  for (let p = 1; p <= Math.max(1, max); p *= 10) out.push(p)
  return out
}

const tickLabel = (v: number): string => (v >= 1e6 ? `${v / 1e6}M` : v >= 1e3 ? `${v / 1e3}k` : String(v))

/** A log-log plot of counts sorted in decreasing order (pattern frequency against rank), with decade ticks. */
export function rankPlot(counts: readonly number[], width = 320, height = 170): string {
  const sorted = [...counts].sort((a, b) => b - a)
  if (sorted.length === 0) return '<p class="note">No patterns.</p>'
  const m = { l: 46, r: 10, t: 8, b: 36 }
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
  const base = height - m.b
  const xt = decades(sorted.length).map((v) => `<line x1="${f3(x(v))}" x2="${f3(x(v))}" y1="${base}" y2="${base + 4}" stroke="#888"/><text x="${f3(x(v))}" y="${base + 14}" text-anchor="middle">${tickLabel(v)}</text>`)
  const yt = decades(sorted[0]!).map((v) => `<line x1="${m.l - 4}" x2="${m.l}" y1="${f3(y(v))}" y2="${f3(y(v))}" stroke="#888"/><text x="${m.l - 6}" y="${f3(y(v) + 3)}" text-anchor="end">${tickLabel(v)}</text>`)
  return (
    `<svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img"><title>pattern frequency by rank</title>` +
    `<line x1="${m.l}" y1="${base}" x2="${width - m.r}" y2="${base}" stroke="#888"/><line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${base}" stroke="#888"/>${xt.join('')}${yt.join('')}` +
    `<polyline fill="none" stroke="#3b528b" stroke-width="1.5" points="${points.join(' ')}"/>` +
    `<text x="${(m.l + width - m.r) / 2}" y="${height - 4}" text-anchor="middle">rank of the pattern (log scale, ${sorted.length} patterns)</text>` +
    `<text x="10" y="${(m.t + base) / 2}" transform="rotate(-90 10 ${(m.t + base) / 2})" text-anchor="middle">rows (log)</text></svg>`
  )
}

/** A horizontal colour bar of the shared scale, 0 to 1, with what its ends mean. */
export function colourLegend(low: string, high: string, width = 320): string {
  const stops = STOPS.map((_, i) => `<stop offset="${i / (STOPS.length - 1)}" stop-color="${ramp(i / (STOPS.length - 1))}"/>`).join('')
  return (
    `<svg class="legend-bar" viewBox="0 0 ${width} 30" width="${width}" height="30" role="img"><title>colour scale</title><defs><linearGradient id="ramp">${stops}</linearGradient></defs>` +
    `<rect x="0" y="0" width="${width}" height="12" fill="url(#ramp)"/><text x="0" y="25">${escape(low)}</text><text x="${width}" y="25" text-anchor="end">${escape(high)}</text></svg>`
  )
}

/** Every k-th of n items (1-based, and the last) so that labels `gap` px apart fit in `span` px. */
function every(n: number, span: number, gap: number): number[] {
  const fit = Math.max(1, Math.floor(span / gap))
  const steps = [1, 2, 5, 10, 20, 25, 50, 100, 200, 500, 1000]
  const k = steps.find((s) => Math.ceil(n / s) <= fit) ?? Math.ceil(n / fit)
  const out: number[] = [1]
  for (let i = k; i <= n; i += k) if (i !== 1) out.push(i)
  return out
}

/**
 * Lines over categories (sites in depth order), values in [0, 1]. Up to 12 categories are
 * named on the axis; more are numbered (1 = first), each point naming its site on hover.
 */
export function depthLines(labels: readonly string[], series: readonly { name: string; colour: string; values: readonly (number | null)[] }[], full: readonly string[] = labels, width = 640, height = 220): string {
  const n = labels.length
  const named = n <= 12
  const m = { l: 36, r: 12, t: 10, b: named ? 96 : 56 }
  const x = (i: number): number => m.l + (n === 1 ? 0.5 : i / (n - 1)) * (width - m.l - m.r)
  const y = (v: number): number => height - m.b - v * (height - m.t - m.b)
  const parts = [`<svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img"><title>by depth</title>`]
  for (const v of [0, 0.5, 1]) parts.push(`<line x1="${m.l}" x2="${width - m.r}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/><text x="${m.l - 4}" y="${y(v) + 4}" text-anchor="end">${v}</text>`)
  const base = height - m.b
  if (named) {
    labels.forEach((l, i) => parts.push(`<text x="${f3(x(i))}" y="${base + 12}" transform="rotate(35 ${f3(x(i))} ${base + 12})"><title>${escape(full[i] ?? l)}</title>${escape(l.length > 18 ? `${l.slice(0, 17)}…` : l)}</text>`))
  } else {
    for (const k of every(n, width - m.l - m.r, 28)) parts.push(`<line x1="${f3(x(k - 1))}" x2="${f3(x(k - 1))}" y1="${base}" y2="${base + 4}" stroke="#888"/><text x="${f3(x(k - 1))}" y="${base + 14}" text-anchor="middle">${k}</text>`)
    parts.push(`<text x="${(m.l + width - m.r) / 2}" y="${base + 28}" text-anchor="middle">site, in model order (1 = first of ${n}; hover a point for its id)</text>`)
  }
  let lx = m.l
  series.forEach((s) => {
    const pts = s.values.map((v, i) => (v === null ? null : { i, p: `${f3(x(i))},${f3(y(v))}`, v })).filter((p): p is { i: number; p: string; v: number } => p !== null)
    parts.push(`<polyline fill="none" stroke="${s.colour}" stroke-width="2" points="${pts.map((q) => q.p).join(' ')}"/>`)
    for (const q of pts) parts.push(`<circle cx="${q.p.split(',')[0]}" cy="${q.p.split(',')[1]}" r="3" fill="${s.colour}"><title>${escape(`${q.i + 1}. ${full[q.i] ?? ''}: ${f3(q.v)}`)}</title></circle>`)
    parts.push(`<rect x="${lx}" y="${height - 14}" width="10" height="10" fill="${s.colour}"/><text x="${lx + 14}" y="${height - 5}">${escape(s.name)}</text>`)
    // the next item after this one's text (about 6 px a character at this size)
    lx += 30 + 6 * s.name.length
  })
  parts.push('</svg>')
  return parts.join('')
}

/**
 * A heatmap: rows (sites) by columns (measurements), values in [0, 1], with a colour
 * legend. Rows are numbered and named (shortened, the full name on hover); columns are
 * labelled at the ends.
 */
export function heat(rows: readonly string[], columns: readonly string[], value: (r: number, c: number) => number | null, width = 640): string {
  const label = 190
  const cw = (width - label) / Math.max(1, columns.length)
  const rh = 14
  const height = rows.length * rh + 52
  const parts = [`<svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img">`]
  rows.forEach((r, i) => {
    const name = `${i + 1}. ${r.length > 26 ? `…${r.slice(-25)}` : r}`
    parts.push(`<text x="${label - 4}" y="${i * rh + 10}" text-anchor="end"><title>${escape(r)}</title>${escape(name)}</text>`)
    columns.forEach((c, j) => {
      const v = value(i, j)
      parts.push(`<rect x="${f3(label + j * cw)}" y="${i * rh}" width="${f3(cw + 0.3)}" height="${rh - 1}" fill="${v === null ? '#eee' : ramp(v)}"><title>${escape(`${r} @ ${c}: ${v === null ? 'n/a' : f3(v)}`)}</title></rect>`)
    })
  })
  const y0 = rows.length * rh
  parts.push(`<text x="${label}" y="${y0 + 12}">${escape(columns[0] ?? '')}</text><text x="${width}" y="${y0 + 12}" text-anchor="end">${escape(columns[columns.length - 1] ?? '')}</text>`)
  const stops = STOPS.map((_, i) => `<stop offset="${i / (STOPS.length - 1)}" stop-color="${ramp(i / (STOPS.length - 1))}"/>`).join('')
  parts.push(`<defs><linearGradient id="heat-ramp">${stops}</linearGradient></defs><rect x="${label}" y="${y0 + 22}" width="160" height="10" fill="url(#heat-ramp)"/><text x="${label - 4}" y="${y0 + 31}" text-anchor="end">0</text><text x="${label + 164}" y="${y0 + 31}">1 (grey: no reading)</text></svg>`)
  return parts.join('')
}
