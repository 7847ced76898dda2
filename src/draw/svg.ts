/* Figures drawn as plain SVG strings: no dependency, no script, hover text as <title>. */
import type { ColorScale, Figure, HeatmapFigure, LinesFigure, RankFigure, RegionFigure, StripFigure } from './figure.js'
import {
  AXIS_LABEL,
  LINE_COLORS,
  MISSING,
  NAMED_CATEGORIES,
  ROW_LABEL,
  STOPS,
  decades,
  escapeHtml,
  f3,
  formatValue,
  ramp,
  regionColor,
  shorten,
  thinned,
  tickLabel,
} from './rules.js'

/**
 * A figure as an SVG string.
 *
 * @example
 * ```ts
 * svg({ kind: 'strip', title: 'units', values: [0, 0.5, 1], tip: (i, v) => `unit ${i}: ${v}`, width: 300 })
 * ```
 */
export function svg(figure: Figure, options: { scale?: number; boundaries?: boolean } = {}): string {
  switch (figure.kind) {
    case 'heatmap':
      return heatmap(figure)
    case 'lines':
      return lines(figure)
    case 'strip':
      return strip(figure)
    case 'rank':
      return rank(figure)
    case 'regions':
      return regions(figure, options.scale ?? 2, options.boundaries ?? true)
  }
}

const gradient = (id: string): string =>
  `<defs><linearGradient id="${id}">${STOPS.map((_, i) => `<stop offset="${i / (STOPS.length - 1)}" stop-color="${ramp(i / (STOPS.length - 1))}"/>`).join('')}</linearGradient></defs>`

/** A horizontal colour bar of a scale, with what its ends mean. */
export function colorLegend(scale: ColorScale, width = 320): string {
  return (
    `<svg class="legend-bar" viewBox="0 0 ${width} 30" width="${width}" height="30" role="img"><title>colour scale: ${escapeHtml(scale.title)}</title>${gradient('ramp')}` +
    `<rect x="0" y="0" width="${width}" height="12" fill="url(#ramp)"/><text x="0" y="25">${escapeHtml(scale.low)}</text><text x="${width}" y="25" text-anchor="end">${escapeHtml(scale.high)}</text></svg>`
  )
}

/** The ends of a colour scale: its domain, or the finite values' own range for `'data'`. */
function ends(scale: ColorScale, values: ArrayLike<number>): [number, number] {
  if (scale.domain !== 'data') return [scale.domain[0], scale.domain[1]]
  let lo = Infinity
  let hi = -Infinity
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!
    if (!Number.isFinite(v)) continue
    lo = Math.min(lo, v)
    hi = Math.max(hi, v)
  }
  return lo <= hi ? [lo, hi > lo ? hi : lo + 1] : [0, 1]
}

function strip(f: StripFigure): string {
  const n = f.values.length
  const cell = f.width / Math.max(1, n)
  const cells: string[] = []
  for (let i = 0; i < n; i++) {
    const v = f.values[i]!
    cells.push(
      `<rect x="${f3(i * cell)}" width="${f3(Math.max(cell, 0.5))}" height="18" fill="${ramp(v)}"><title>${escapeHtml(f.tip(i, v))}</title></rect>`,
    )
  }
  return `<svg class="strip" viewBox="0 0 ${f.width} 18" width="${f.width}" height="18" preserveAspectRatio="none" role="img"><title>${escapeHtml(f.title)}</title>${cells.join('')}</svg>`
}

function rank(f: RankFigure): string {
  const { width, height } = f
  const sorted = [...f.counts].sort((a, b) => b - a)
  if (sorted.length === 0) return '<p class="note">No patterns.</p>'
  const m = { l: 46, r: 10, t: 8, b: 36 }
  const maxX = Math.log10(sorted.length) || 1
  const maxY = Math.log10(sorted[0]!) || 1
  const x = (r: number): number => m.l + (Math.log10(r) / maxX) * (width - m.l - m.r)
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
  const xt = decades(sorted.length).map(
    (v) =>
      `<line x1="${f3(x(v))}" x2="${f3(x(v))}" y1="${base}" y2="${base + 4}" stroke="#888"/><text x="${f3(x(v))}" y="${base + 14}" text-anchor="middle">${tickLabel(v)}</text>`,
  )
  const yt = decades(sorted[0]!).map(
    (v) =>
      `<line x1="${m.l - 4}" x2="${m.l}" y1="${f3(y(v))}" y2="${f3(y(v))}" stroke="#888"/><text x="${m.l - 6}" y="${f3(y(v) + 3)}" text-anchor="end">${tickLabel(v)}</text>`,
  )
  return (
    `<svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img"><title>${escapeHtml(f.title)}</title>` +
    `<line x1="${m.l}" y1="${base}" x2="${width - m.r}" y2="${base}" stroke="#888"/><line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${base}" stroke="#888"/>${xt.join('')}${yt.join('')}` +
    `<polyline fill="none" stroke="${LINE_COLORS[0]}" stroke-width="1.5" points="${points.join(' ')}"/>` +
    `<text x="${(m.l + width - m.r) / 2}" y="${height - 4}" text-anchor="middle">${escapeHtml(f.x)} (log scale, ${sorted.length} patterns)</text>` +
    `<text x="10" y="${(m.t + base) / 2}" transform="rotate(-90 10 ${(m.t + base) / 2})" text-anchor="middle">${escapeHtml(f.y)} (log)</text></svg>`
  )
}

/**
 * Lines over categories or a numeric axis. Up to 12 categories are named on the axis;
 * more are numbered (1 = first), each point naming its category on hover.
 */
function lines(f: LinesFigure): string {
  const { width, height } = f
  const items = f.x.items
  const xs = f.series.flatMap((s) => s.points.map((p) => p.x))
  const [x0, x1] = items !== null ? [0, Math.max(1, items.length - 1)] : [Math.min(...xs), Math.max(...xs)]
  const ys = f.series.flatMap((s) => s.points.map((p) => p.y)).filter((v): v is number => v !== null)
  const [y0, y1] = f.y.domain ?? [Math.min(0, ...ys), Math.max(1e-12, ...ys)]
  const named = items !== null && items.length <= NAMED_CATEGORIES
  const m = { l: 36, r: 12, t: 10, b: named ? 96 : 56 }
  const one = items !== null ? items.length === 1 : x0 === x1
  const x = (v: number): number => m.l + (one ? 0.5 : (v - x0) / (x1 - x0)) * (width - m.l - m.r)
  const y = (v: number): number => height - m.b - ((v - y0) / (y1 - y0)) * (height - m.t - m.b)
  const parts = [
    `<svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img"><title>${escapeHtml(f.title)}</title>`,
  ]
  for (const v of [y0, (y0 + y1) / 2, y1])
    parts.push(
      `<line x1="${m.l}" x2="${width - m.r}" y1="${f3(y(v))}" y2="${f3(y(v))}" stroke="#ddd"/><text x="${m.l - 4}" y="${f3(y(v) + 4)}" text-anchor="end">${formatValue(v)}</text>`,
    )
  const base = height - m.b
  if (named) {
    items.forEach((c, i) => {
      parts.push(
        `<text x="${f3(x(i))}" y="${base + 12}" transform="rotate(35 ${f3(x(i))} ${base + 12})"><title>${escapeHtml(c.id)}</title>${escapeHtml(c.label.length > AXIS_LABEL ? `${c.label.slice(0, AXIS_LABEL - 1)}…` : c.label)}</text>`,
      )
    })
  } else if (items !== null) {
    for (const k of thinned(items.length, width - m.l - m.r, 28))
      parts.push(
        `<line x1="${f3(x(k - 1))}" x2="${f3(x(k - 1))}" y1="${base}" y2="${base + 4}" stroke="#888"/><text x="${f3(x(k - 1))}" y="${base + 14}" text-anchor="middle">${k}</text>`,
      )
    parts.push(
      `<text x="${(m.l + width - m.r) / 2}" y="${base + 28}" text-anchor="middle">${escapeHtml(f.x.title)} (1 = first of ${items.length}; hover a point for its id)</text>`,
    )
  } else {
    for (const v of [x0, (x0 + x1) / 2, x1])
      parts.push(`<text x="${f3(x(v))}" y="${base + 14}" text-anchor="middle">${tickLabel(Math.round(v * 100) / 100)}</text>`)
    parts.push(`<text x="${(m.l + width - m.r) / 2}" y="${base + 28}" text-anchor="middle">${escapeHtml(f.x.title)}</text>`)
  }
  let lx = m.l
  f.series.forEach((s, k) => {
    const color = LINE_COLORS[k % LINE_COLORS.length]!
    const pts = s.points.filter((p): p is { x: number; y: number } => p.y !== null)
    parts.push(
      `<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map((p) => `${f3(x(p.x))},${f3(y(p.y))}`).join(' ')}"/>`,
    )
    for (const p of pts) {
      const at = items === null ? `${f.x.title} ${formatValue(p.x)}` : `${p.x + 1}. ${items[p.x]?.id ?? ''}`
      parts.push(
        `<circle cx="${f3(x(p.x))}" cy="${f3(y(p.y))}" r="3" fill="${color}"><title>${escapeHtml(`${at}: ${formatValue(p.y)}`)}</title></circle>`,
      )
    }
    parts.push(
      `<rect x="${lx}" y="${height - 14}" width="10" height="10" fill="${color}"/><text x="${lx + 14}" y="${height - 5}">${escapeHtml(s.name)}</text>`,
    )
    // the next item after this one's text (about 6 px a character at this size)
    lx += 30 + 6 * s.name.length
  })
  parts.push('</svg>')
  return parts.join('')
}

/** Rows (numbered and named, shortened, the full name on hover) by columns (labelled at the ends), with the colour legend. */
function heatmap(f: HeatmapFigure): string {
  const { width } = f
  const label = 190
  const rows = f.rows.items
  const columns = f.columns.items
  const cw = (width - label) / Math.max(1, columns.length)
  // categories get a named row each; past 64 numbered rows (units) share 600 px and every few are labelled
  const dense = f.rows.numeric && rows.length > 64
  const rh = dense ? Math.max(600 / rows.length, 0.25) : 14
  const labelled = new Set(dense ? thinned(rows.length, rows.length * rh, 14).map((k) => k - 1) : rows.map((_, i) => i))
  const body = rows.length * rh
  const height = body + 52
  const [lo, hi] = ends(f.color, f.values)
  const parts = [
    `<svg viewBox="0 0 ${width} ${f3(height)}" width="${width}" height="${f3(height)}" role="img"><title>${escapeHtml(f.title)}</title>`,
  ]
  rows.forEach((r, i) => {
    if (labelled.has(i)) {
      const text = f.rows.numeric ? r.label : `${i + 1}. ${shorten(r.label, ROW_LABEL)}`
      parts.push(
        `<text x="${label - 4}" y="${f3(i * rh + Math.min(rh, 14) - 4 + (dense ? 4 : 0))}" text-anchor="end"><title>${escapeHtml(r.id)}</title>${escapeHtml(text)}</text>`,
      )
    }
    columns.forEach((c, j) => {
      const v = f.values[i * columns.length + j]!
      const missing = Number.isNaN(v)
      parts.push(
        `<rect x="${f3(label + j * cw)}" y="${f3(i * rh)}" width="${f3(cw + 0.3)}" height="${f3(dense ? rh + 0.05 : rh - 1)}" fill="${missing ? MISSING : ramp((v - lo) / (hi - lo))}"><title>${escapeHtml(`${r.id} @ ${c.label}: ${missing ? 'no reading' : formatValue(v)}`)}</title></rect>`,
      )
    })
  })
  const y0 = body
  parts.push(
    `<text x="${label}" y="${f3(y0 + 12)}">${escapeHtml(columns[0]?.label ?? '')}</text><text x="${width}" y="${f3(y0 + 12)}" text-anchor="end">${escapeHtml(columns.at(-1)?.label ?? '')}</text>`,
  )
  const id = `heat-${f.title.replace(/\W+/g, '-')}`
  parts.push(
    `${gradient(id)}<rect x="${label}" y="${f3(y0 + 22)}" width="160" height="10" fill="url(#${id})"/>` +
      `<text x="${label - 4}" y="${f3(y0 + 31)}" text-anchor="end">${escapeHtml(f.color.low)}</text><text x="${label + 164}" y="${f3(y0 + 31)}">${escapeHtml(f.color.high)} (grey: no reading)</text></svg>`,
  )
  return parts.join('')
}

/** Runs of equal pixels in a row, gathered into one path per colour; boundaries in black. */
function regions(f: RegionFigure, scale: number, boundaries: boolean): string {
  const { width, height, ids } = f
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width * scale}" height="${height * scale}" viewBox="0 0 ${width} ${height}" shape-rendering="crispEdges">`,
    `<title>${escapeHtml(f.title)}</title>`,
  ]
  const edge = (k: number): boolean => {
    const i = k % width
    const j = (k - i) / width
    return (i + 1 < width && ids[k] !== ids[k + 1]) || (j + 1 < height && ids[k] !== ids[k + width])
  }
  const paths = new Map<string, string[]>()
  for (let j = 0; j < height; j++) {
    let i = 0
    while (i < width) {
      const k = j * width + i
      const id = ids[k]!
      const line = boundaries && edge(k)
      let end = i + 1
      while (end < width && ids[j * width + end] === id && (boundaries && edge(j * width + end)) === line) end++
      const fill = line ? '#000' : regionColor(id)
      let list = paths.get(fill)
      if (list === undefined) {
        list = []
        paths.set(fill, list)
      }
      list.push(`M${i} ${j}h${end - i}v1h-${end - i}z`)
      i = end
    }
  }
  for (const [fill, runs] of paths) out.push(`<path fill="${fill}" d="${runs.join('')}"/>`)
  out.push('</svg>')
  return out.join('\n')
}
