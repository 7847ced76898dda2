/* The live view of training runs as HTML: a metric picker, heatmaps of sites and units over time, lines, fit's logs, what stands out. */
import type { HeatmapFigure, LinesFigure } from '../draw/figure.js'
import { commonPrefix, escapeHtml } from '../draw/rules.js'
import { svg } from '../draw/svg.js'
import { findHighlights } from '../metrics/highlights.js'
import { metricInfo } from '../metrics/catalogue.js'
import type { SiteSummary } from '../metrics/summary.js'
import type { PointRecord, Run, SitePoint } from './records.js'

/** The metrics a live view can show per site and point: key, title, and how to read it from a point. */
export const LIVE_METRICS: readonly {
  key: string
  title: string
  value: (s: SitePoint) => number | null
  range: readonly [number, number] | null
}[] = [
  {
    key: 'deadShare',
    title: 'share of dead units',
    value: (s) => (s.dead === null || s.units === 0 ? null : s.dead / s.units),
    range: [0, 1],
  },
  ...(['meanEntropy', 'normalizedEntropy', 'distinct', 'topShare'] as const).map((k) => ({
    key: k,
    title: metricInfo(k)!.title,
    value: (s: SitePoint) => s[k],
    range: metricInfo(k)!.range,
  })),
  ...(['vsFirst', 'vsPrevious'] as const).flatMap((ref) =>
    (['flipRate', 'weightedJaccard'] as const).map((k) => ({
      key: `${ref}.${k}`,
      title: `${metricInfo(k)!.title}, vs ${ref === 'vsFirst' ? 'first' : 'previous'}`,
      value: (s: SitePoint) => s[ref]?.[k] ?? null,
      range: metricInfo(k)!.range,
    })),
  ),
]

/** What the view shows: a metric, a site for the per-unit picture, a run for the heatmaps. */
export interface View {
  metric: string
  site: string | null
  run: string | null
}

const at = (p: PointRecord): string => (typeof p.epoch === 'number' ? `epoch ${p.epoch.toFixed(2)}` : `step ${Number(p.step)}`)

/** A summary row of a point's site, for what stands out. */
function summaryOf(site: string, s: SitePoint): SiteSummary {
  return {
    site,
    units: s.units,
    positions: null,
    rows: s.rows,
    dead: s.dead,
    alwaysOn: s.frequency === null ? null : s.frequency.filter((f) => f === 1).length,
    meanEntropy: s.meanEntropy,
    distinct: s.distinct,
    patternShare: s.distinct === null || s.rows === 0 ? null : s.distinct / s.rows,
    normalizedEntropy: s.normalizedEntropy,
    topShare: s.topShare,
    meanDistance: null,
    conditionalEntropy: null,
    mutualInformation: null,
    nonFinite: s.nonFinite ?? null,
    exact: s.exact !== false,
  }
}

/**
 * The live view of `runs` as an HTML fragment (no script): pickers carry `data-view`
 * attributes, which the page or `mountDashboard` wires to re-render.
 */
export function dashboardHtml(runs: readonly Run[], view: View): string {
  const problems = runs
    .filter((r) => r.problem !== undefined)
    .map((r) => `<p class="note">Left out: ${escapeHtml(r.problem!)}</p>`)
    .join('')
  const withPoints = runs.filter((r) => r.points.length > 0)
  if (withPoints.length === 0) return `${problems}<p class="note">No measurement yet: the page updates when the first one lands.</p>`
  const run = withPoints.find((r) => r.name === view.run) ?? withPoints[0]!
  const metric = LIVE_METRICS.find((m) => m.key === view.metric) ?? LIVE_METRICS[1]!
  const sites = Object.keys(run.points.at(-1)!.sites)
  if (sites.length === 0)
    return '<p class="note">The measurements so far hold no site (a schedule without a probe set, or snapshots only).</p>'
  const site = view.site !== null && sites.includes(view.site) ? view.site : sites[0]!
  const prefix = commonPrefix(sites)
  const short = (id: string): string => (prefix === '' ? id : `…/${id.slice(prefix.length)}`)
  const last = run.points.at(-1)!
  const pickers =
    `<label>metric <select data-view="metric">${LIVE_METRICS.map((m) => `<option value="${m.key}"${m === metric ? ' selected' : ''}>${escapeHtml(m.title)}</option>`).join('')}</select></label> ` +
    `<label>site <select data-view="site">${sites.map((s) => `<option value="${escapeHtml(s)}"${s === site ? ' selected' : ''}>${escapeHtml(short(s))}</option>`).join('')}</select></label>` +
    (withPoints.length > 1
      ? ` <label>run <select data-view="run">${withPoints.map((r) => `<option value="${escapeHtml(r.name)}"${r === run ? ' selected' : ''}>${escapeHtml(r.name)}</option>`).join('')}</select></label>`
      : '')
  const stands = findHighlights(Object.entries(last.sites).map(([id, s]) => summaryOf(id, s)))
  const standsOut =
    stands.length === 0
      ? '<p>Nothing: no dead or always-on units, no near-unique or dominant patterns.</p>'
      : `<ul>${stands
          .slice(0, 8)
          .map((h) => `<li title="${escapeHtml(h.site)}">${escapeHtml(short(h.site) + h.text.slice(h.site.length))}</li>`)
          .join('')}${stands.length > 8 ? `<li>${stands.length - 8} more</li>` : ''}</ul>`
  return [
    problems,
    `<div class="pickers">${pickers}</div>`,
    `<p class="status">${escapeHtml(run.name)}: ${run.points.length} measurement${run.points.length === 1 ? '' : 's'}, the last at ${escapeHtml(at(last))} (step ${Number(last.step)}).</p>`,
    `<h2>${escapeHtml(metric.title)}, by site over training</h2>${siteHeatmap(run, metric, sites, short)}`,
    `<h2>Each unit of ${escapeHtml(short(site))} over training</h2>${unitHeatmap(run, site, short)}`,
    `<h2>${escapeHtml(metric.title)} at ${escapeHtml(short(site))}, every run</h2>${svg(metricLines(withPoints, metric, site))}`,
    `<h2>Loss and metrics of fit</h2>${fitLines(withPoints)}`,
    `<h2>What stands out now</h2>${standsOut}`,
  ].join('\n')
}

function siteHeatmap(run: Run, metric: (typeof LIVE_METRICS)[number], sites: readonly string[], short: (id: string) => string): string {
  const cols = run.points
  const values = new Float64Array(sites.length * cols.length)
  sites.forEach((s, i) => {
    cols.forEach((p, j) => {
      const sp = p.sites[s]
      values[i * cols.length + j] = (sp === undefined ? null : metric.value(sp)) ?? Number.NaN
    })
  })
  const figure: HeatmapFigure = {
    kind: 'heatmap',
    title: metric.title,
    rows: { title: 'site', field: 'site', items: sites.map((id) => ({ id, label: short(id) })), numeric: false },
    columns: {
      title: 'measurement',
      field: 'step',
      items: cols.map((p) => ({ at: p.step, to: p.step, label: at(p) })),
      spans: null,
      format: 'integer',
    },
    values,
    color:
      metric.range === null
        ? { title: metric.title, domain: 'data', low: 'lowest', high: 'highest' }
        : { title: metric.title, domain: metric.range, low: String(metric.range[0]), high: String(metric.range[1]) },
    width: 900,
    height: null,
  }
  return svg(figure)
}

function unitHeatmap(run: Run, site: string, short: (id: string) => string): string {
  const cols = run.points.filter((p) => p.sites[site]?.frequency != null)
  if (cols.length === 0) return '<p class="note">No per-unit reading (the probe has no unitStats).</p>'
  const units = cols.at(-1)!.sites[site]!.frequency!.length
  const values = new Float64Array(units * cols.length).fill(Number.NaN)
  cols.forEach((p, j) => {
    p.sites[site]!.frequency!.forEach((f, u) => {
      values[u * cols.length + j] = f
    })
  })
  const figure: HeatmapFigure = {
    kind: 'heatmap',
    title: `${short(site)}: share of rows each unit is on`,
    rows: {
      title: `unit (${units})`,
      field: 'unit',
      items: Array.from({ length: units }, (_, u) => ({ id: `unit ${u}`, label: `unit ${u}` })),
      numeric: true,
    },
    columns: {
      title: 'measurement',
      field: 'step',
      items: cols.map((p) => ({ at: p.step, to: p.step, label: at(p) })),
      spans: null,
      format: 'integer',
    },
    values,
    color: { title: 'share of rows on', domain: [0, 1], low: '0 (never on: dead)', high: '1 (always on)' },
    width: 900,
    height: null,
  }
  return svg(figure)
}

function metricLines(runs: readonly Run[], metric: (typeof LIVE_METRICS)[number], site: string): LinesFigure {
  return {
    kind: 'lines',
    title: `${metric.title} at ${site}`,
    x: { title: 'training step', field: 'step', items: null },
    y: { title: metric.title, domain: metric.range },
    series: runs.map((r) => ({
      name: r.name,
      points: r.points.map((p) => ({ x: p.step, y: p.sites[site] === undefined ? null : metric.value(p.sites[site]!) })),
    })),
    width: 900,
    height: 240,
  }
}

function fitLines(runs: readonly Run[]): string {
  const epochs = runs.flatMap((r) => r.logs.filter((l) => l.at === 'epoch').map((l) => ({ run: r.name, l })))
  if (epochs.length === 0) return '<p class="note">No fit logs yet (they come at the end of each epoch).</p>'
  const keys = [...new Set(epochs.flatMap((e) => Object.keys(e.l.values)))]
  return keys
    .map((k) =>
      svg({
        kind: 'lines',
        title: `fit: ${k}`,
        x: { title: 'training step', field: 'step', items: null },
        y: { title: k, domain: null },
        series: runs.map((r) => ({
          name: `${r.name}: ${k}`,
          points: r.logs.filter((l) => l.at === 'epoch' && k in l.values).map((l) => ({ x: l.step, y: l.values[k]! })),
        })),
        width: 440,
        height: 200,
      }),
    )
    .join('')
}
