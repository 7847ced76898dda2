import { type Comparison, compare } from '../compare/compare.js'
import type { Measurement } from '../compare/measurement.js'
import { type SiteSummary, summarize } from '../instrument/summary.js'
import { InstrumentError } from '../errors.js'
import { assertOptions } from '../keys.js'
import { Timeline } from '../timeline/timeline.js'
import { depthLines, escape, heat, rankPlot, strip } from './svg.js'

/** Options of {@link renderReport}. */
export interface ReportOptions {
  /** Title of the page (default `'ReLU activation patterns'`). */
  title?: string
  /** Lines shown under the title (model, data, options, version), in order. */
  meta?: Record<string, string | number>
  /** A second measurement of another model on the same inputs, compared site by site. */
  against?: { measurement: Measurement<Record<string, Record<string, unknown>>>; label: string }
}

/** Explanation of each summary column, shown under the table. */
export const COLUMNS: readonly (readonly [keyof SiteSummary, string, string])[] = [
  ['site', 'site', 'The ReLU site: a layer (or graph node) whose units are recorded.'],
  ['units', 'units', 'Bits per pattern: channels of a conv site, units of a dense one.'],
  ['positions', 'positions', 'Patterns per input: spatial positions of a conv site, 1 for dense.'],
  ['dead', 'dead', 'Units never on for any input: they pass nothing on.'],
  ['alwaysOn', 'always on', 'Units on for every input: they act linearly.'],
  ['unitEntropy', 'unit H', 'Mean binary entropy of the units in bits: 1 when each unit is on half the time.'],
  ['distinct', 'distinct', 'Distinct patterns among all rows, counted exactly.'],
  ['normalizedEntropy', 'H / Hmax', 'Entropy of the pattern histogram over its maximum, min(units, log2 rows): 1 when patterns are spread evenly.'],
  ['topShare', 'top share', 'Share of rows with the most frequent pattern.'],
  ['diversity', 'Hamming', 'Mean Hamming distance between patterns of a batch, over units: 0.5 for random patterns.'],
  ['conditionalEntropy', 'H(A|L)', 'Pattern entropy left once the label is known, in bits.'],
  ['mutualInformation', 'I(A;L)', 'Information the patterns carry about the label, in bits.'],
  ['nonFinite', 'non-finite', 'Activations that were NaN or ±Infinity.'],
]

const fmt = (v: unknown): string => (v === null || v === undefined ? '' : typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(3)) : String(v))

const isMeasurement = (x: unknown): x is Measurement<Record<string, Record<string, unknown>>> =>
  typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'measurement' && typeof (x as { results?: unknown }).results === 'object'

/** What stands out in a summary: dead or saturated units, sites where every input is unique, sites one pattern dominates. */
export function highlights(rows: readonly SiteSummary[]): string[] {
  const out: string[] = []
  for (const r of rows) {
    const cap = r.site.endsWith(':saturated')
    if (r.nonFinite !== null && r.nonFinite > 0) out.push(`${r.site}: ${r.nonFinite} activations were NaN or ±Infinity (NaN counts as off, +Infinity as on); check the inputs before reading the rest.`)
    if (r.dead !== null && r.dead > 0) out.push(cap ? `${r.site}: ${r.dead} of ${r.units} capped units never reach their cap.` : `${r.site}: ${r.dead} of ${r.units} units are dead (never on).`)
    if (r.alwaysOn !== null && r.alwaysOn > 0) out.push(cap ? `${r.site}: ${r.alwaysOn} of ${r.units} capped units are always at their cap.` : `${r.site}: ${r.alwaysOn} of ${r.units} units are always on (linear).`)
    if (r.distinct !== null && r.rows > 1 && r.distinct === r.rows) out.push(`${r.site}: every row has its own pattern (${r.distinct} of ${r.rows}); histogram measures say little here.`)
    if (r.topShare !== null && r.topShare > 0.5) out.push(`${r.site}: one pattern holds ${(100 * r.topShare).toFixed(0)}% of the rows.`)
    if (!r.exact) out.push(`${r.site}: the histogram reached its memory cap; distinct is a lower bound.`)
  }
  return out
}

function table(rows: readonly SiteSummary[]): string {
  const used = COLUMNS.filter(([key]) => key === 'site' || (key === 'nonFinite' ? rows.some((r) => (r.nonFinite ?? 0) > 0) : rows.some((r) => r[key] !== null)))
  const head = used.map(([, name], i) => `<th data-col="${i}" title="${escape(COLUMNS.find((c) => c[1] === name)![2])}">${escape(name)}</th>`).join('')
  const body = rows.map((r) => `<tr>${used.map(([key]) => `<td${typeof r[key] === 'number' ? ` data-v="${r[key] as number}"` : ''}>${escape(fmt(r[key]))}</td>`).join('')}</tr>`).join('\n')
  const legend = used.map(([, name, what]) => `<dt>${escape(name)}</dt><dd>${escape(what)}</dd>`).join('')
  return `<table id="summary"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table><p class="note">Click a column to sort.</p><dl class="legend">${legend}</dl>`
}

function siteSection(m: Measurement<Record<string, Record<string, unknown>>>, r: SiteSummary): string {
  const units = Object.values(m.results[r.site] ?? {}).find((x): x is { frequency: Float64Array } => typeof x === 'object' && x !== null && (x as { frequency?: unknown }).frequency instanceof Float64Array)
  const freq = units === undefined ? '<p class="note">No unitStats result.</p>' : strip(units.frequency, (i, v) => `unit ${i}: on for ${(100 * v).toFixed(1)}% of rows`)
  const counts: number[] = []
  const p = m.patterns?.[r.site]
  const c = p?.histogram?.table?.counts
  if (c instanceof Float64Array) for (const x of c) if (x > 0) counts.push(x)
  return (
    `<section class="site"><h3>${escape(r.site)}</h3>` +
    `<p>How often each unit is on (dark: rarely, yellow: always):</p>${freq}` +
    `<p>Pattern frequency by rank (a straight line is a power law; a flat one, every pattern equally often):</p>${counts.length > 0 ? rankPlot(counts) : '<p class="note">No retained histogram.</p>'}</section>`
  )
}

function comparison(a: Measurement<Record<string, Record<string, unknown>>>, b: Measurement<Record<string, Record<string, unknown>>>, label: string): string {
  const c = compare(a, b) as Record<string, Comparison>
  const rows = Object.entries(c)
    .map(([id, s]) => `<tr><td>${escape(id)}</td><td data-v="${s.flipRate}">${s.flipRate.toFixed(3)}</td><td data-v="${s.rowsChangedFraction}">${s.rowsChangedFraction.toFixed(3)}</td><td data-v="${s.jaccard}">${s.jaccard.toFixed(3)}</td><td data-v="${s.weightedJaccard}">${s.weightedJaccard.toFixed(3)}</td></tr>`)
    .join('\n')
  const strips = Object.entries(c).map(([id, s]) => `<p>${escape(id)}: share of rows where each unit differs</p>${strip(s.unitFlipRate, (i, v) => `unit ${i}: differs on ${(100 * v).toFixed(1)}% of rows`)}`).join('')
  return (
    `<h2>Against ${escape(label)}</h2><p>The same inputs through both models, site by site.</p>` +
    `<table><thead><tr><th>site</th><th title="Share of bits that differ">flip rate</th><th title="Share of rows whose pattern differs">rows changed</th><th title="Jaccard index of the sets of distinct patterns">Jaccard</th><th title="Weighted Jaccard of the pattern histograms">weighted Jaccard</th></tr></thead><tbody>\n${rows}\n</tbody></table>${strips}`
  )
}

function timelinePart(t: Timeline<Record<string, Record<string, unknown>>>): string {
  const entries = t.entries
  if (entries.length === 0) return '<p class="note">The timeline is empty.</p>'
  const sites = Object.keys(entries[0]!.results)
  const columns = entries.map((e) => (e.epoch !== undefined ? `epoch ${e.epoch.toFixed(2)}` : `step ${e.step}`))
  const rowsAt = entries.map((e) => summarize(e.results))
  const pick = (k: keyof SiteSummary, scale: (r: SiteSummary) => number | null) => heat(sites, columns, (i, j) => {
    const r = rowsAt[j]!.find((x) => x.site === sites[i])
    return r === undefined || r[k] === null ? null : scale(r)
  })
  const parts = [
    `<h2>Over training</h2><p>${entries.length} measurements, ${escape(columns[0]!)} to ${escape(columns[columns.length - 1]!)}; each row a site, each column a measurement.</p>`,
    `<h3>Normalised pattern entropy</h3>${pick('normalizedEntropy', (r) => r.normalizedEntropy)}`,
    `<h3>Mean unit entropy</h3>${pick('unitEntropy', (r) => r.unitEntropy)}`,
    `<h3>Share of dead units</h3>${pick('dead', (r) => (r.dead ?? 0) / Math.max(1, r.units))}`,
  ]
  if (t.keep !== 'results') {
    const vs = t.compare('final')
    parts.push(`<h3>Weighted Jaccard against the final measurement</h3>${heat(sites, columns, (i, j) => (vs[j]?.[sites[i]!] as { weightedJaccard?: number } | undefined)?.weightedJaccard ?? null)}`)
  }
  return parts.join('\n')
}

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:60em;padding:0 1em;color:#222}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ddd}table{border-collapse:collapse;font-variant-numeric:tabular-nums}
th,td{padding:3px 8px;border-bottom:1px solid #eee;text-align:right}th:first-child,td:first-child{text-align:left}
th{cursor:pointer;background:#f6f6f6;position:sticky;top:0}.note{color:#777;font-size:.9em}.meta{color:#555}
dl.legend{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;font-size:.9em}dt{font-weight:600}dd{margin:0}
svg{display:block;margin:.3em 0 1em;font-size:10px;max-width:100%}.strip{height:18px}ul.stands li{margin:.2em 0}`

const SORT = `document.querySelectorAll('table').forEach(function(t){t.querySelectorAll('th').forEach(function(th,i){th.addEventListener('click',function(){
var b=t.tBodies[0],rows=Array.prototype.slice.call(b.rows),d=th.dataset.dir==='a'?-1:1;th.dataset.dir=d===1?'a':'d';
rows.sort(function(x,y){var p=x.cells[i],q=y.cells[i],u=p.dataset.v,v=q.dataset.v;
return d*(u!==undefined&&v!==undefined?Number(u)-Number(v):p.textContent.localeCompare(q.textContent))});rows.forEach(function(r){b.appendChild(r)})})})})`

/**
 * A self-contained HTML report (one file: no network, opens from disk) of a retained
 * measurement (`measure(x, { retain: true })`) or a `Timeline`: a sortable summary table
 * per site with a line on each column, what stands out (dead or saturated units, sites
 * where every input has its own pattern, sites one pattern dominates), per-site pictures
 * (unit frequencies, pattern frequency by rank), entropy by depth, and with `against`
 * the comparison with a second model; for a timeline, heatmaps over training.
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs'
 * import { renderReport } from 'relu-patterns/report'
 *
 * writeFileSync('report.html', renderReport(await probe.measure(xs, { retain: true })))
 * ```
 */
export function renderReport(input: Measurement<Record<string, Record<string, unknown>>> | Timeline<Record<string, Record<string, unknown>>>, options: ReportOptions = {}): string {
  assertOptions('renderReport(input, options)', options, ['title', 'meta', 'against'])
  const title = options.title ?? 'ReLU activation patterns'
  if (typeof title !== 'string') throw new InstrumentError('INVALID_OPTION', 'renderReport: title must be a string.')
  const meta = Object.entries(options.meta ?? {}).map(([k, v]) => `<div><b>${escape(k)}</b>: ${escape(String(v))}</div>`).join('')
  let body: string
  if (input instanceof Timeline) {
    if (options.against !== undefined) throw new InstrumentError('INVALID_OPTION', 'renderReport: against compares two measurements, not timelines.')
    const last = input.entries[input.entries.length - 1]
    body = (last === undefined ? '' : `<h2>At the last measurement</h2>${table(summarize(last.results))}`) + timelinePart(input)
  } else if (isMeasurement(input)) {
    const sites = Object.keys(input.results).map((id) => ({ id, positions: input.patterns?.[id]?.positions ?? null }))
    const rows = summarize(input.results, sites)
    const marks = highlights(rows)
    const depth = depthLines(rows.map((r) => r.site), [
      { name: 'normalised pattern entropy', colour: '#3b528b', values: rows.map((r) => r.normalizedEntropy) },
      { name: 'mean unit entropy', colour: '#5ec962', values: rows.map((r) => r.unitEntropy) },
    ])
    body =
      `<h2>What stands out</h2>${marks.length === 0 ? '<p>Nothing: no dead or saturated units, no site where every input or one pattern dominates.</p>' : `<ul class="stands">${marks.map((m) => `<li>${escape(m)}</li>`).join('')}</ul>`}` +
      `<h2>Sites</h2><p>${input.examples} inputs.</p>${table(rows)}` +
      `<h2>Entropy by depth</h2>${depth}` +
      `<h2>Each site</h2>${rows.map((r) => siteSection(input, r)).join('\n')}` +
      (options.against === undefined ? '' : comparison(input, options.against.measurement, options.against.label))
  } else {
    throw new InstrumentError('INVALID_INPUT', 'renderReport takes a measurement from measure(x, { retain: true }) or a Timeline.')
  }
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escape(title)}</title><style>${STYLE}</style></head>\n<body><h1>${escape(title)}</h1><div class="meta">${meta}</div>\n${body}\n<script>${SORT}</script></body></html>\n`
}
