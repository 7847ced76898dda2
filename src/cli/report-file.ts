/* The report's two files, index.html and report.json, from a measurement made in one process or merged from shards. */
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { metricInfo } from '../metrics/catalogue.js'
import { SUMMARY_METRICS, summarize } from '../metrics/summary.js'
import { renderReport } from '../report/render.js'
import { serialize } from '../serialize/index.js'
import type { Command } from './flags.js'
import { type Measured, renamed } from './measure.js'
import { type Scaling, mismatchWarning } from './scaling.js'
import { terminalSummary } from './terminal.js'

/** Where the CLI writes; replaceable in tests. */
export interface Io {
  stdout: (text: string) => void
  stderr: (text: string) => void
  /** True when standard error is a terminal (the progress bar is drawn only then). */
  tty: boolean
}

/** What a report is made of: the command, what was read, and what was measured. */
export interface Finished {
  c: Pick<Command, 'model' | 'against' | 'byOrder' | 'full' | 'json' | 'out' | 'backend' | 'given'>
  kind: string
  source: string
  classes: string[] | null
  /** Inputs read. */
  count: number
  /** The batch size the model fixes, or null. */
  batch: number | null
  /** Inputs per pass. */
  size: number
  scaling: Scaling
  labels: Int32Array | null
  measured: Measured & { used: number }
  against: (Measured & { used: number }) | null
  pairs: Map<string, string> | null
  /** The model's absolute path, where it was resolved elsewhere (a shard, measured in another folder). */
  modelPath?: string
}

/** The package version, read from the package.json next to the built files. */
export async function version(): Promise<string> {
  for (const up of ['..', '../..']) {
    try {
      const pkg = JSON.parse(await readFile(new URL(`${up}/package.json`, import.meta.url), 'utf8')) as { name?: string; version?: string }
      if (pkg.name === 'relu-patterns' && typeof pkg.version === 'string') return pkg.version
    } catch {
      // try the next place
    }
  }
  return 'unknown'
}

/** Now, or the time SOURCE_DATE_EPOCH gives (seconds), so that a report can be made again byte for byte. */
function created(): string {
  const epoch = process.env['SOURCE_DATE_EPOCH']
  return epoch !== undefined && /^\d+$/.test(epoch) ? new Date(Number(epoch) * 1000).toISOString() : new Date().toISOString()
}

const sortedKeys = (o: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))

const megabytes = (n: number): string => (n < 1e6 ? `${(n / 1e3).toFixed(0)} kB` : `${(n / 1e6).toFixed(1)} MB`)

/** Sites with the positions the measurement saw where the model does not fix them. */
function positioned(m: Measured): { id: string; positions: number | null }[] {
  return m.sites.map((s) => ({ id: s.id, positions: s.positions ?? m.measurement.patterns[s.id]?.positions ?? null }))
}

/** Writes DIR/index.html and DIR/report.json, says so, and prints the summary on standard error. */
export async function writeReport(r: Finished, io: Io): Promise<void> {
  const { c, kind, scaling, labels, measured, against, pairs, size } = r
  const summary = summarize(measured.measurement.results, positioned(measured))
  const second = against === null ? null : c.byOrder ? renamed(against.measurement, pairs!) : against.measurement
  const warnings = [
    mismatchWarning(summary, scaling),
    second === null || against === null ? null : mismatchWarning(summarize(second.results, positioned(against)), scaling),
  ]
    .map((w, k) => (w === null ? null : k === 0 ? w : `The model of --against (fed the same inputs): ${w}`))
    .filter((w): w is string => w !== null)
  const warning = warnings.length === 0 ? null : warnings.join(' ')
  const meta = {
    model: r.modelPath ?? resolve(c.model),
    kind,
    data: r.source,
    ...(measured.used < r.count ? { used: `${measured.used} inputs: the model takes batches of exactly ${r.batch}` } : {}),
    input: scaling.description,
    batch: `${size} inputs per pass${r.batch === null ? '' : ' (the model fixes it)'}; the Hamming column compares patterns within a pass`,
    ...(against === null ? {} : { against: resolve(c.against!) }),
    backend: c.backend,
    'relu-patterns': await version(),
    created: created(),
  }
  const html = renderReport(measured.measurement, {
    title: `ReLU patterns of ${c.model}`,
    meta,
    ...(warnings.length === 0 ? {} : { warnings }),
    ...(labels === null ? {} : { labels: labels.subarray(0, measured.used) }),
    ...(second === null ? {} : { against: { measurement: second, label: c.against! } }),
  })
  // the retained patterns (most of the size) only with --full; the results always
  const saved = (m: Measured['measurement']): Record<string, unknown> =>
    c.full ? { measurement: JSON.parse(serialize(m)) as unknown } : { results: JSON.parse(serialize(m.results)) as unknown }
  const report = {
    tool: 'relu-patterns',
    version: meta['relu-patterns'],
    options: sortedKeys(c.given),
    meta,
    ...(warnings.length === 0 ? {} : { warnings }),
    sites: measured.sites,
    summary,
    // what each summary key means, from the catalogue every page and chart reads
    metrics: Object.fromEntries(
      ['units', 'positions', 'rows', ...SUMMARY_METRICS].map((k) => [k, { label: metricInfo(k)!.label, meaning: metricInfo(k)!.meaning }]),
    ),
    classes: r.classes,
    ...saved(measured.measurement),
    ...(against === null || second === null
      ? {}
      : { against: { summary: summarize(second.results, positioned(measured)), ...saved(second) } }),
  }
  const json = `${JSON.stringify(report)}\n`
  await writeAtomically(c.out, { 'index.html': html, 'report.json': json })
  for (const line of terminalSummary(summary, warning)) io.stderr(`${line}\n`)
  if (c.json) io.stdout(json)
  else io.stdout(`wrote ${join(c.out, 'index.html')} and ${join(c.out, 'report.json')} (${megabytes(json.length)})\n`)
}

/** Writes every file into a fresh folder beside DIR, then moves each into DIR: a failure leaves DIR as it was. */
async function writeAtomically(dir: string, files: Record<string, string>): Promise<void> {
  const target = resolve(dir)
  await mkdir(dirname(target), { recursive: true })
  const staging = await mkdtemp(join(dirname(target), '.relu-patterns-'))
  try {
    for (const [name, text] of Object.entries(files)) await writeFile(join(staging, name), text)
    await mkdir(target, { recursive: true })
    for (const name of Object.keys(files)) await rename(join(staging, name), join(target, name))
  } finally {
    await rm(staging, { recursive: true, force: true })
  }
}
