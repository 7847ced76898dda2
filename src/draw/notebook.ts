/* Notebook displays: the MIME bundles Jupyter kernels for JavaScript ask an object for (Deno's Symbol.for('Jupyter.display')). */
import { metricInfo } from '../metrics/catalogue.js'
import { SUMMARY_METRICS, type SiteSummary, summarize } from '../metrics/summary.js'
import type { HeatmapFigure } from './figure.js'
import { ESTIMATE_NOTE, escapeHtml, estimateMark, formatValue, shorten } from './rules.js'
import { svg } from './svg.js'

/** The key a notebook kernel calls on an object to display it (Deno's Jupyter kernel). */
export const JUPYTER_DISPLAY: unique symbol = Symbol.for('Jupyter.display') as never

/** What a notebook shows: HTML, and plain text where HTML is not drawn. */
export type MimeBundle = { 'text/html': string; 'text/plain': string }

/** A summary table with the catalogue's column labels (each meaning on hover). */
export function summaryTable(rows: readonly SiteSummary[]): string {
  const keys = (['units', 'rows', ...SUMMARY_METRICS] as const).filter((k) => rows.some((r) => r[k] !== null))
  const head = ['site', ...keys]
    .map((k) => `<th title="${escapeHtml(metricInfo(k)?.meaning ?? 'The ReLU site.')}">${escapeHtml(metricInfo(k)?.label ?? k)}</th>`)
    .join('')
  const body = rows
    .map(
      (r) =>
        `<tr><td title="${escapeHtml(r.site)}">${escapeHtml(shorten(r.site, 40))}</td>${keys.map((k) => `<td${estimateMark(k, r.exact) === '' ? '' : ` title="${escapeHtml(ESTIMATE_NOTE)}"`}>${r[k] === null ? '' : escapeHtml(estimateMark(k, r.exact) + formatValue(r[k] as number))}</td>`).join('')}</tr>`,
    )
    .join('')
  const note = rows.some((r) => !r.exact) ? `<p>≥ and ≈ mark ${escapeHtml(ESTIMATE_NOTE)}.</p>` : ''
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>${note}`
}

/** A heatmap of one summary metric, sites by measurements, as SVG. */
export function summaryHeatmap(
  columns: readonly { label: string; rows: readonly SiteSummary[] }[],
  key: (typeof SUMMARY_METRICS)[number],
): string {
  const sites = [...new Set(columns.flatMap((c) => c.rows.map((r) => r.site)))]
  const values = new Float64Array(sites.length * columns.length).fill(Number.NaN)
  columns.forEach((c, j) => {
    for (const r of c.rows) values[sites.indexOf(r.site) * columns.length + j] = (r[key] as number | null) ?? Number.NaN
  })
  const info = metricInfo(key)!
  const figure: HeatmapFigure = {
    kind: 'heatmap',
    title: info.title,
    rows: { title: 'site', field: 'site', items: sites.map((id) => ({ id, label: id })), numeric: false },
    columns: {
      title: 'measurement',
      field: 'step',
      items: columns.map((c, j) => ({ at: j, to: j, label: c.label })),
      spans: null,
      format: 'integer',
    },
    values,
    color:
      info.range === null
        ? { title: info.title, domain: 'data', low: 'lowest', high: 'highest' }
        : { title: info.title, domain: info.range, low: String(info.range[0]), high: String(info.range[1]) },
    width: 640,
    height: null,
  }
  return svg(figure)
}

/** How a notebook shows a retained measurement: its examples and the summary per site. */
export function measurementBundle(measurement: {
  readonly examples: number
  readonly results: Readonly<Record<string, Readonly<Record<string, unknown>>>>
}): MimeBundle {
  const rows = summarize(measurement.results)
  const text = `Measurement: ${measurement.examples} example${measurement.examples === 1 ? '' : 's'}, ${rows.length} site${rows.length === 1 ? '' : 's'}`
  return { 'text/plain': text, 'text/html': `<div><p>${escapeHtml(text)}.</p>${summaryTable(rows)}</div>` }
}
