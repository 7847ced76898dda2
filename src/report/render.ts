/* renderReport(): one self-contained HTML page of a measurement or a timeline. */
import { type Comparison, compare } from '../compare/compare.js'
import type { Measurement } from '../compare/measurement.js'
import { metricInfo, resultOfKind } from '../metrics/catalogue.js'
import { SUMMARY_METRICS, type SiteSummary, summarize } from '../metrics/summary.js'
import { InstrumentError } from '../errors.js'
import { type Declaration, check, declareOptions, later, string, strings } from '../options.js'
import { Timeline } from '../timeline/timeline.js'
import { findHighlights, groupHighlights } from '../metrics/highlights.js'
import type { HeatmapFigure } from '../draw/figure.js'
import { ESTIMATE_NOTE, commonPrefix, escapeHtml, estimateMark } from '../draw/rules.js'
import { colorLegend, svg } from '../draw/svg.js'

/** Options of {@link renderReport}. */
export interface ReportOptions {
  /** Title of the page (default `'ReLU activation patterns'`). */
  title?: string
  /** Lines shown under the title (model, data, options, version), in order. */
  meta?: Record<string, string | number>
  /** A second measurement of another model on the same inputs, compared site by site. */
  against?: { measurement: Measurement<Record<string, Record<string, unknown>>>; label: string }
  /** Warnings shown at the top of the page (a preprocessing mismatch, say). */
  warnings?: readonly string[]
  /** The labels the measurement was given, one per input: the page then shows H(L), the most I(A;L) can be. */
  labels?: ArrayLike<number>
}

type Against = NonNullable<ReportOptions['against']>
const AGAINST = /* @__PURE__ */ declareOptions(
  'renderReport(input, { against })',
  () =>
    ({
      measurement: { check: check<Against['measurement']>('a measurement from measurePatterns(x)', (m) => isMeasurement(m)) },
      label: { check: string },
    }) satisfies Declaration<Against>,
  { required: true },
)
const OPTIONS = /* @__PURE__ */ declareOptions(
  'renderReport(input, options)',
  () =>
    ({
      title: { check: string, default: 'ReLU activation patterns' },
      meta: { check: check('a record of strings and numbers', (m) => typeof m === 'object' && m !== null && !Array.isArray(m)) },
      against: { check: later('{ measurement, label }') },
      warnings: { check: strings },
      labels: {
        check: check(
          'an array of integer labels',
          (l) => typeof l === 'object' && l !== null && typeof (l as ArrayLike<number>).length === 'number',
        ),
      },
    }) satisfies Declaration<ReportOptions>,
)

/** The summary's columns, each with its label and meaning from the metric catalogue, shown under the table. */
const COLUMNS: readonly (readonly [keyof SiteSummary, string, string])[] = [
  ['site', 'site', 'The ReLU site: a layer (or graph node) whose units are recorded.'],
  ...(['units', 'positions', 'rows', ...SUMMARY_METRICS] as const).map((key) => {
    const m = metricInfo(key)!
    return [key, m.label, m.meaning] as const
  }),
]

const fmt = (v: unknown): string =>
  v === null || v === undefined ? '' : typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(3)) : String(v)

const isMeasurement = (x: unknown): x is Measurement<Record<string, Record<string, unknown>>> =>
  typeof x === 'object' &&
  x !== null &&
  (x as { kind?: unknown }).kind === 'measurement' &&
  typeof (x as { results?: unknown }).results === 'object'

/** What stands out in a summary, one line per site and finding: dead or saturated units, near-unique patterns (distinct at least 90% of rows), one dominant pattern. */
export function highlights(rows: readonly SiteSummary[]): string[] {
  return findHighlights(rows).map((h) => h.text)
}

/** What stands out, grouped by kind with counts: the strongest few of each shown, the rest folded. */
function standsOut(rows: readonly SiteSummary[], short: (id: string) => string): string {
  const groups = groupHighlights(findHighlights(rows))
  if (groups.length === 0)
    return '<p>Nothing: no dead or saturated units, no site where every input has its own pattern or one pattern dominates.</p>'
  const li = (text: string, site: string): string =>
    `<li title="${escapeHtml(site)}">${escapeHtml(short(site) + text.slice(site.length))}</li>`
  return groups
    .map((g) => {
      const shown = g.items
        .slice(0, 5)
        .map((h) => li(h.text, h.site))
        .join('')
      const rest = g.items.slice(5)
      const folded =
        rest.length === 0
          ? ''
          : `<details><summary>${rest.length} more</summary><ul class="stands">${rest.map((h) => li(h.text, h.site)).join('')}</ul></details>`
      return `<h3>${escapeHtml(g.title)} <span class="count">(${g.items.length} site${g.items.length === 1 ? '' : 's'})</span></h3><ul class="stands">${shown}</ul>${folded}`
    })
    .join('')
}

export { commonPrefix }

/** Label entropy in bits. */
function entropyOf(labels: ArrayLike<number>): number {
  const counts = new Map<number, number>()
  for (let i = 0; i < labels.length; i++) counts.set(labels[i]!, (counts.get(labels[i]!) ?? 0) + 1)
  let h = 0
  for (const c of counts.values()) h -= (c / labels.length) * Math.log2(c / labels.length)
  return h
}

function table(summary: readonly SiteSummary[], short: (id: string) => string = (id) => id): string {
  const rows = summary
  const used = COLUMNS.filter(
    ([key]) => key === 'site' || (key === 'nonFinite' ? rows.some((r) => (r.nonFinite ?? 0) > 0) : rows.some((r) => r[key] !== null)),
  )
  const head = used
    .map(([, name], i) => `<th data-col="${i}" title="${escapeHtml(COLUMNS.find((c) => c[1] === name)![2])}">${escapeHtml(name)}</th>`)
    .join('')
  const cell = (r: SiteSummary, key: keyof SiteSummary): string => {
    const v = r[key]
    if (key === 'site') return `<td title="${escapeHtml(r.site)}">${escapeHtml(short(r.site))}</td>`
    const mark = typeof v === 'number' ? estimateMark(key, r.exact) : ''
    const shown = mark + fmt(v)
    const marked = mark === '' ? '' : ` title="${escapeHtml(ESTIMATE_NOTE)}"`
    return `<td${typeof v === 'number' ? ` data-v="${v}"` : ''}${marked}>${escapeHtml(shown)}</td>`
  }
  const body = rows.map((r) => `<tr>${used.map(([key]) => cell(r, key)).join('')}</tr>`).join('\n')
  const legend = used.map(([, name, what]) => `<dt>${escapeHtml(name)}</dt><dd>${escapeHtml(what)}</dd>`).join('')
  const estimates = rows.some((r) => !r.exact) ? ` ≥ and ≈ mark ${escapeHtml(ESTIMATE_NOTE)}.` : ''
  return `<div class="scroll"><table id="summary"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table></div><p class="note">Click a column to sort; hover a site for its full id.${estimates}</p><dl class="legend">${legend}</dl>`
}

/** A heading with the short id, and the full one on hover when they differ. */
const heading = (id: string, short: (id: string) => string): string =>
  short(id) === id
    ? `<h3>${escapeHtml(id)}</h3>`
    : `<h3 title="${escapeHtml(id)}" data-id="${escapeHtml(id)}">${escapeHtml(short(id))}</h3>`

function siteSection(m: Measurement<Record<string, Record<string, unknown>>>, r: SiteSummary, short: (id: string) => string): string {
  const units = resultOfKind(m.results[r.site], 'unitStats') as { frequency?: unknown } | undefined
  const freq = !(units?.frequency instanceof Float64Array)
    ? '<p class="note">No unitStats result.</p>'
    : svg({
        kind: 'strip',
        title: `${r.site}: share of rows each unit is on`,
        values: units.frequency,
        tip: (i, v) => `unit ${i}: on for ${(100 * v).toFixed(1)}% of rows`,
        width: 640,
      })
  const counts: number[] = []
  const p = m.patterns?.[r.site]
  const c = p?.histogram?.table?.counts
  if (c instanceof Float64Array) for (const x of c) if (x > 0) counts.push(x)
  return (
    `<section class="site">${heading(r.site, short)}` +
    `<p>How often each of the ${r.units} units is on, unit 0 at the left (colour scale above):</p>${freq}` +
    `<p>Pattern frequency by rank (a straight line is a power law; a flat one, every pattern equally often):</p>${counts.length > 0 ? svg({ kind: 'rank', title: 'pattern frequency by rank', counts, x: 'rank of the pattern', y: 'rows', width: 320, height: 170 }) : '<p class="note">No retained histogram.</p>'}</section>`
  )
}

const COMPARED = ['flipRate', 'rowsChangedShare', 'jaccard', 'weightedJaccard'] as const
const GLOSSARY = `<dl class="legend">${COMPARED.map((k) => `<dt>${escapeHtml(metricInfo(k)!.label)}</dt><dd>${escapeHtml(metricInfo(k)!.meaning)}</dd>`).join('')}</dl>`

function comparison(
  a: Measurement<Record<string, Record<string, unknown>>>,
  b: Measurement<Record<string, Record<string, unknown>>>,
  label: string,
  short: (id: string) => string,
): string {
  const c = compare(a, b) as Record<string, Comparison>
  const num = (v: number): string => `<td data-v="${v}">${v.toFixed(3)}</td>`
  const rows = Object.entries(c)
    .map(
      ([id, s]) =>
        `<tr><td title="${escapeHtml(id)}">${escapeHtml(short(id))}</td>${num(s.flipRate)}${num(s.rowsChangedShare)}${num(s.jaccard)}${num(s.weightedJaccard)}</tr>`,
    )
    .join('\n')
  const strips = Object.entries(c)
    .map(
      ([id, s]) =>
        `<p title="${escapeHtml(id)}">${escapeHtml(short(id))}: share of rows where each unit differs (unit 0 at the left)</p>${svg({ kind: 'strip', title: `${id}: share of rows each unit differs`, values: s.unitFlipRate, tip: (i, v) => `unit ${i}: differs on ${(100 * v).toFixed(1)}% of rows`, width: 640 })}`,
    )
    .join('')
  return (
    `<h2>Against ${escapeHtml(label)}</h2><p>The same inputs through both models, site by site; every measure is in [0, 1].</p>${GLOSSARY}` +
    `<div class="scroll"><table><thead><tr><th>site</th>${COMPARED.map((k) => `<th title="${escapeHtml(metricInfo(k)!.meaning)}">${escapeHtml(metricInfo(k)!.label)}</th>`).join('')}</tr></thead><tbody>\n${rows}\n</tbody></table></div>` +
    `<p>Per unit, the share of rows where the two models differ; colour scale:</p>${colorLegend({ title: 'share of rows', domain: [0, 1], low: '0% (never differs)', high: '100% (always)' })}${strips}`
  )
}

function timelinePart(t: Timeline<Record<string, Record<string, unknown>>>): string {
  const entries = t.entries
  if (entries.length === 0) return '<p class="note">The timeline is empty.</p>'
  const sites = Object.keys(entries[0]!.results)
  const prefix = commonPrefix(sites)
  const names = sites.map((id) => (prefix === '' ? id : id.slice(prefix.length)))
  const columns = entries.map((e) => (e.epoch !== undefined ? `epoch ${e.epoch.toFixed(2)}` : `step ${e.step}`))
  const rowsAt = entries.map((e) => summarize(e.results))
  const heat = (title: string, value: (i: number, j: number) => number | null): string => {
    const values = new Float64Array(sites.length * columns.length)
    for (let i = 0; i < sites.length; i++)
      for (let j = 0; j < columns.length; j++) values[i * columns.length + j] = value(i, j) ?? Number.NaN
    const figure: HeatmapFigure = {
      kind: 'heatmap',
      title,
      rows: { title: 'site', field: 'site', items: sites.map((id, i) => ({ id, label: names[i]! })), numeric: false },
      columns: {
        title: 'measurement',
        field: 'step',
        items: entries.map((e, j) => ({ at: e.step, to: e.step, label: columns[j]! })),
        spans: null,
        format: 'integer',
      },
      values,
      color: { title, domain: [0, 1], low: '0', high: '1' },
      width: 640,
      height: null,
    }
    return svg(figure)
  }
  const pick = (k: keyof SiteSummary, scale: (r: SiteSummary) => number | null): string =>
    heat(metricInfo(k)?.title ?? k, (i, j) => {
      const r = rowsAt[j]!.find((x) => x.site === sites[i])
      return r === undefined || r[k] === null ? null : scale(r)
    })
  const parts = [
    `<h2>Over training</h2><p>${entries.length} measurements, ${escapeHtml(columns[0]!)} to ${escapeHtml(columns[columns.length - 1]!)}; each row a site, each column a measurement.</p>`,
    `<h3>Normalised pattern entropy</h3>${pick('normalizedEntropy', (r) => r.normalizedEntropy)}`,
    `<h3>Mean unit entropy</h3>${pick('meanEntropy', (r) => r.meanEntropy)}`,
    `<h3>Share of dead units</h3>${heat('share of dead units', (i, j) => {
      const r = rowsAt[j]!.find((x) => x.site === sites[i])
      return r === undefined || r.dead === null ? null : r.dead / Math.max(1, r.units)
    })}`,
  ]
  if (t.keep !== 'results') {
    const vs = t.compare('final')
    parts.push(
      `<h3>Weighted Jaccard against the final measurement</h3>${heat('weighted Jaccard vs final', (i, j) => (vs[j]?.[sites[i]!] as { weightedJaccard?: number } | undefined)?.weightedJaccard ?? null)}`,
    )
  }
  return parts.join('\n')
}

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:80em;padding:0 1em;color:#222}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ddd}table{border-collapse:collapse;font-variant-numeric:tabular-nums}
th,td{padding:3px 8px;border-bottom:1px solid #eee;text-align:right}th:first-child,td:first-child{text-align:left}
th{cursor:pointer;background:#f6f6f6;position:sticky;top:0}.note{color:#777;font-size:.9em}.meta{color:#555}
dl.legend{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;font-size:.9em}dt{font-weight:600}dd{margin:0}
svg{display:block;margin:.3em 0 1em;font-size:10px;max-width:100%}.strip{height:18px}ul.stands li{margin:.2em 0}
.scroll{overflow-x:auto;max-width:100%}.warning{background:#fff4e5;border:1px solid #f0a040;padding:.6em .8em;border-radius:4px}
h1,h3{overflow-wrap:anywhere}.meta div{overflow-wrap:anywhere}.count{color:#777;font-weight:normal;font-size:.85em}details{margin:0 0 .6em 1em}`

const SORT = `document.querySelectorAll('table').forEach(function(t){t.querySelectorAll('th').forEach(function(th,i){th.addEventListener('click',function(){
var b=t.tBodies[0],rows=Array.prototype.slice.call(b.rows),d=th.dataset.dir==='a'?-1:1;th.dataset.dir=d===1?'a':'d';
rows.sort(function(x,y){var p=x.cells[i],q=y.cells[i],u=p.dataset.v,v=q.dataset.v;
return d*(u!==undefined&&v!==undefined?Number(u)-Number(v):p.textContent.localeCompare(q.textContent))});rows.forEach(function(r){b.appendChild(r)})})})})`

/**
 * A self-contained HTML report (one file: no network, opens from disk) of a retained
 * measurement (`measurePatterns(x)`) or a `Timeline`: a sortable summary table
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
 * writeFileSync('report.html', renderReport(await probe.measurePatterns(xs)))
 * ```
 */
export function renderReport(
  input: Measurement<Record<string, Record<string, unknown>>> | Timeline<Record<string, Record<string, unknown>>>,
  options: ReportOptions = {},
): string {
  const { title } = OPTIONS.parse(options)
  const meta = Object.entries(options.meta ?? {})
    .map(([k, v]) => `<div><b>${escapeHtml(k)}</b>: ${escapeHtml(String(v))}</div>`)
    .join('')
  let body: string
  if (input instanceof Timeline) {
    if (options.against !== undefined)
      throw new InstrumentError('INVALID_OPTION', 'renderReport: against compares two measurements, not timelines.')
    const last = input.entries[input.entries.length - 1]
    body = (last === undefined ? '' : `<h2>At the last measurement</h2>${table(summarize(last.results))}`) + timelinePart(input)
  } else if (isMeasurement(input)) {
    if (options.against !== undefined) {
      const a = options.against as unknown
      if (isMeasurement(a))
        throw new InstrumentError(
          'INVALID_OPTION',
          'renderReport: against takes { measurement, label }, not a measurement itself: renderReport(m, { against: { measurement: other, label: "model B" } }).',
        )
      const against = AGAINST.parse(a)
      if (against.measurement === undefined || against.label === undefined)
        throw new InstrumentError('INVALID_OPTION', 'renderReport(input, { against }): against needs both measurement and label.')
    }
    const sites = Object.keys(input.results).map((id) => ({ id, positions: input.patterns?.[id]?.positions ?? null }))
    const rows = summarize(input.results, sites)
    const prefix = commonPrefix(rows.map((r) => r.site))
    const short = (id: string): string => (prefix !== '' && id.startsWith(prefix) ? `…/${id.slice(prefix.length)}` : id)
    const depth = svg({
      kind: 'lines',
      title: 'entropy by depth',
      x: { title: 'site, in model order', field: 'site', items: rows.map((r) => ({ id: r.site, label: short(r.site) })) },
      y: { title: 'entropy', domain: [0, 1] },
      series: (['normalizedEntropy', 'meanEntropy'] as const).map((k) => ({
        name: metricInfo(k)!.title,
        points: rows.map((r, i) => ({ x: i, y: r[k] })),
      })),
      width: 640,
      height: 220,
    })
    const hl =
      options.labels === undefined || options.labels.length === 0
        ? ''
        : ` Labels: H(L) = ${entropyOf(options.labels).toFixed(3)} bits, the most I(A;L) can be.`
    body =
      `<h2>What stands out</h2>${standsOut(rows, short)}` +
      `<h2>Sites</h2><p>${input.examples} inputs, ${rows.length} sites${prefix === '' ? '' : `; ids shortened: … stands for <code>${escapeHtml(prefix)}</code>`}.${hl}</p>${table(rows, short)}` +
      `<h2>Entropy by depth</h2><p>Sites in model order (x), both measures in [0, 1] (y); hover a point for its site.</p>${depth}` +
      `<h2>Each site</h2><p>Unit strips share one colour scale: the share of rows in which a unit is on.</p>${colorLegend({ title: 'share of rows', domain: [0, 1], low: '0% (never on: dead)', high: '100% (always on)' })}${rows.map((r) => siteSection(input, r, short)).join('\n')}` +
      (options.against === undefined ? '' : comparison(input, options.against.measurement, options.against.label, short))
  } else {
    throw new InstrumentError('INVALID_INPUT', 'renderReport takes a measurement from measurePatterns(x) or a Timeline.')
  }
  const warnings = (options.warnings ?? []).map((w) => `<p class="warning" role="alert"><b>Warning:</b> ${escapeHtml(w)}</p>`).join('')
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>\n<body><h1>${escapeHtml(title)}</h1>${warnings}<div class="meta">${meta}</div>\n${body}\n<script>${SORT}</script></body></html>\n`
}
