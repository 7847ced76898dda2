/* The drawing rules every chart follows: colours, number and label formats, and which ticks fit. */

/** Stops of the sequential scale (viridis), low to high. */
export const STOPS = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
] as const

/** The Vega scheme with the same stops. */
export const SCHEME = 'viridis'

/** Colour of a missing reading. */
export const MISSING = '#eee'

/** Line colours, in order (from the ends and the middle of the sequential scale, then greys). */
export const LINE_COLORS = ['#3b528b', '#5ec962', '#21918c', '#fde725', '#440154', '#888888'] as const

/** The sequential colour of v in [0, 1] (clamped; a non-finite value reads as 0). */
export function ramp(v: number): string {
  const x = Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0)) * (STOPS.length - 1)
  const i = Math.min(STOPS.length - 2, Math.floor(x))
  const f = x - i
  const [a, b] = [STOPS[i]!, STOPS[i + 1]!]
  const c = a.map((av, k) => Math.round(av + f * (b[k]! - av)))
  return `rgb(${c[0]},${c[1]},${c[2]})`
}

/** A colour per region id: hues a golden angle apart, so neighbouring ids differ. */
export function regionColor(id: number): string {
  const hue = (id * 137.508) % 360
  const light = 52 + ((id * 7) % 3) * 8
  return `hsl(${hue.toFixed(1)},62%,${light}%)`
}

/** Text made safe inside HTML and SVG. */
export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

/** A coordinate with at most three decimals. */
export const f3 = (x: number): string => (Math.round(x * 1000) / 1000).toString()

/** A value as a chart shows it: integers as they are, others with three decimals. */
export const formatValue = (v: number | null): string => (v === null || Number.isNaN(v) ? 'n/a' : Number.isInteger(v) ? String(v) : f3(v))

/** An axis tick: 1k, 2.5M. */
export const tickLabel = (v: number): string => (v >= 1e6 ? `${v / 1e6}M` : v >= 1e3 ? `${v / 1e3}k` : String(v))

/** A label at most `max` characters long: longer ones keep their end (where ids differ) after an ellipsis. */
export function shorten(label: string, max: number): string {
  return label.length > max ? `…${label.slice(-(max - 1))}` : label
}

/** The longest run of whole `/`-separated segments every id starts with ('' when one id, or none shared). */
export function commonPrefix(ids: readonly string[]): string {
  if (ids.length < 2) return ''
  let prefix = ids[0]!
  for (const id of ids) while (!id.startsWith(prefix)) prefix = prefix.slice(0, -1)
  const cut = prefix.lastIndexOf('/')
  const p = cut < 0 ? '' : prefix.slice(0, cut + 1)
  // never strip a whole id
  return ids.some((id) => id.length <= p.length) ? '' : p
}

/** Powers of ten from 1 to `max` (at least 1), as the ticks of a log scale. */
export function decades(max: number): number[] {
  const out: number[] = []
  for (let p = 1; p <= Math.max(1, max); p *= 10) out.push(p)
  return out
}

/** Every k-th of n items (1-based, the first always) so that labels `gap` px apart fit in `span` px. */
export function thinned(n: number, span: number, gap: number): number[] {
  const fit = Math.max(1, Math.floor(span / gap))
  const steps = [1, 2, 5, 10, 20, 25, 50, 100, 200, 500, 1000]
  const k = steps.find((s) => Math.ceil(n / s) <= fit) ?? Math.ceil(n / fit)
  const out: number[] = [1]
  for (let i = k; i <= n; i += k) if (i !== 1) out.push(i)
  return out
}

/** Most categories an axis names one by one; past it they are numbered (1 = first) and named on hover. */
export const NAMED_CATEGORIES = 12

/** Characters of a category label on an axis; a row label of a heatmap has more room. */
export const AXIS_LABEL = 18
export const ROW_LABEL = 26

/** Summary fields read from a pattern histogram: estimates once it passed its memory cap. */
const FROM_HISTOGRAM = new Set(['distinct', 'patternShare', 'normalizedEntropy', 'topShare', 'conditionalEntropy', 'mutualInformation'])

/** What an estimate is marked with, and why, on every table that shows a summary. */
export const ESTIMATE_NOTE = 'an estimate: the histogram passed its memory cap (distinct is a lower bound)'

/**
 * What goes before a summary value in a table: nothing when it is exact, `≥` before a
 * distinct count whose histogram passed its cap (a lower bound), `≈` before the other
 * values read from such a histogram.
 */
export function estimateMark(key: string, exact: boolean): '' | '≥' | '≈' {
  if (exact || !FROM_HISTOGRAM.has(key)) return ''
  return key === 'distinct' ? '≥' : '≈'
}
