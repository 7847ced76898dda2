/* The relu-patterns command line: report MODEL --data PATH --out DIR, from flags to files. */
import { mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { dirname, extname, join, resolve } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import { InstrumentError } from '../errors.js'
import { metricInfo } from '../metrics/catalogue.js'
import { SUMMARY_METRICS, summarize } from '../metrics/summary.js'
import { hamming } from '../reducers/hamming.js'
import { patternHistogram } from '../reducers/pattern-histogram.js'
import { unitStats } from '../reducers/unit-stats.js'
import { renderReport } from '../report/render.js'
import { serialize } from '../serialize/index.js'
import { HELP, parseCommand } from './flags.js'
import { channelsFirst, readInputs, readLabels } from './inputs.js'
import { loadModel } from './load.js'
import { type Measured, inputOf, matchSites, measureModel, renamed, sitesOf } from './measure.js'
import { declaredScaling, mismatchWarning, resolveScaling } from './scaling.js'
import { terminalSummary } from './terminal.js'
import { UsageError } from './usage.js'
import { parseArgs } from 'node:util'
import { watch } from './watch.js'

export { HELP } from './flags.js'

/** Where the CLI writes; replaceable in tests. */
export interface Io {
  stdout: (text: string) => void
  stderr: (text: string) => void
  /** True when standard error is a terminal (the progress bar is drawn only then). */
  tty: boolean
}

const processIo: Io = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  tty: process.stderr.isTTY === true,
}

/** The package version, read from the package.json next to the built files. */
async function version(): Promise<string> {
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

/** A progress bar on a terminal: inputs measured, and within a pass the sites done, redrawn at most 10 times a second. */
function progress(
  io: Io,
  total: number,
): { tick: (done: number, site: number, sites: number) => void; next: () => void; done: () => void } {
  let base = 0
  let last = 0
  const draw = (done: number, site: number, sites: number): void => {
    const now = Date.now()
    if (!io.tty || (now - last < 100 && site !== 0)) return
    last = now
    const at = base + done
    const cells = Math.round((total === 0 ? 1 : at / total) * 30)
    io.stderr(
      `\r[${'#'.repeat(cells)}${' '.repeat(30 - cells)}] ${at}/${total} inputs${site > 0 ? `, site ${site}/${sites} of this pass` : ''}\u001b[K`,
    )
  }
  return {
    tick: draw,
    // the second model's inputs count after the first's
    next: () => {
      base += total / 2
    },
    done: () => {
      if (io.tty) io.stderr('\n')
    },
  }
}

/** Runs the CLI; resolves to the exit code. */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  try {
    await run(argv, io)
    return 0
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`relu-patterns: ${error.message}\n`)
      return 2
    }
    if (error instanceof InstrumentError && error.code === 'NO_RELU_SITES') {
      // the skipped forms, counted; the way to record them is a flag here
      const items = (error.skipped ?? []).map((k) => `${k.id} (${k.reason})`)
      const shown = items.length > 3 ? `${items.slice(0, 3).join(', ')} and ${items.length - 3} more` : items.join(', ')
      io.stderr(
        `relu-patterns: The model has no ReLU site to record.${items.length === 0 ? '' : ` It has ReLU-family forms not recorded by default: ${shown}; record them with --activations (leakyRelu, prelu, hardSwish, ...).`}\n`,
      )
      return 2
    }
    if (
      error instanceof InstrumentError &&
      [
        'INVALID_INPUT',
        'NO_RELU_SITES',
        'NO_SITES_SELECTED',
        'NOT_A_MODEL',
        'MODEL_MISMATCH',
        'MODEL_NOT_BUILT',
        'INPUT_MISMATCH',
        'LAYOUT_MISMATCH',
        'DATA_FORMAT_UNKNOWN',
      ].includes(error.code)
    ) {
      io.stderr(`relu-patterns: ${error.message}\n`)
      return 2
    }
    io.stderr(`relu-patterns: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
    return 1
  }
}

/** `relu-patterns watch DIR [--port N]`: serves the live page until interrupted. */
async function watchCommand(argv: readonly string[], io: Io): Promise<void> {
  let parsed: { values: { port?: string | undefined }; positionals: string[] }
  try {
    parsed = parseArgs({ args: [...argv], options: { port: { type: 'string' } }, allowPositionals: true, strict: true })
  } catch (error) {
    throw new UsageError(
      `${error instanceof Error ? error.message.split('\n')[0] : String(error)} (relu-patterns watch DIR [--port N]).`,
      error,
    )
  }
  const [, dir, ...extra] = parsed.positionals
  if (dir === undefined || extra.length > 0) throw new UsageError('watch takes one directory: relu-patterns watch DIR [--port N].')
  const given = parsed.values.port
  const port = given === undefined ? 8787 : /^\d{1,5}$/.test(given) ? Number(given) : Number.NaN
  if (!(port >= 0 && port <= 65535)) throw new UsageError(`--port must be a port number (0 to 65535), not ${String(given)}.`)
  const w = await watch(dir, port)
  io.stderr(`relu-patterns: watching ${dir} at ${w.url} (this machine only; Ctrl-C stops)\n`)
  await new Promise<void>((resolve) => process.once('SIGINT', () => void w.close().then(resolve)))
}

async function run(argv: readonly string[], io: Io): Promise<void> {
  if (argv[0] === 'watch') return watchCommand(argv, io)
  const c = parseCommand(argv)
  if (c.help) {
    io.stdout(`${HELP}\n`)
    return
  }
  // tfjs's advice to install tfjs-node (and its other warnings) would break the one-line errors
  tf.env().set('PROD', true)
  await import('@tensorflow/tfjs-backend-cpu').catch((error: unknown) => {
    throw new UsageError('report needs @tensorflow/tfjs-backend-cpu: npm install @tensorflow/tfjs-backend-cpu.', error)
  })
  await checkOut(c.out)
  if (c.backend === 'wasm') {
    await import('@tensorflow/tfjs-backend-wasm').catch((error: unknown) => {
      throw new UsageError('--backend wasm needs @tensorflow/tfjs-backend-wasm: npm install @tensorflow/tfjs-backend-wasm.', error)
    })
  }
  await tf.setBackend(c.backend)
  await tf.ready()

  const { model, kind } = await loadModel(c.model)
  const other = c.against === undefined ? null : await loadModel(c.against)
  const options = {
    reducers: { units: unitStats(), patterns: patternHistogram(), hamming: hamming() },
    saturation: c.saturation,
    activations: c.activations,
    ...(c.sites === undefined ? {} : { sites: c.sites }),
  }
  // the sites (and the second model's, against the first's) are checked before anything is read or measured
  const sites = sitesOf(model, options)
  const pairs = other === null ? null : matchSites(sites, sitesOf(other.model, options), c.byOrder, c.against!)
  const input = inputOf(model)
  if (other !== null && inputOf(other.model).batch !== input.batch) {
    throw new UsageError(
      `--against ${c.against} takes batches of ${inputOf(other.model).batch ?? 'any size'} and the model of ${input.batch ?? 'any size'}; both must see the same passes.`,
    )
  }
  const array = c.data !== 'mnist' && extname(c.data).toLowerCase() === '.npy'
  const scaling = resolveScaling(c.scaling, declaredScaling(model), {
    array,
    channels: channelsOf(input.shape),
    integer: input.dtype === 'int32',
  })
  const inputs = await readInputs(c.data, input.shape, c.limit, { ...scaling, channels: c.channels })
  if (c.labels !== undefined && inputs.labels !== null)
    throw new UsageError(`--labels gives labels, and --data ${c.data} has its own (class folders, or the MNIST labels); give one of them.`)
  const labels = c.labels !== undefined ? await readLabels(c.labels, inputs.count, inputs.total) : inputs.labels
  const size = input.batch ?? c.batchSize
  const used = input.batch === null ? inputs.count : inputs.count - (inputs.count % input.batch)
  io.stderr(`relu-patterns: ${used} inputs from ${inputs.source}, ${size} per pass; ${scaling.description}\n`)
  const bar = progress(io, inputs.count * (other === null ? 1 : 2))
  const measured = await measureModel(model, inputs, labels, c.batchSize, options, bar.tick)
  bar.next()
  const against = other === null ? null : await measureModel(other.model, inputs, labels, c.batchSize, options, bar.tick)
  bar.done()

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
    model: resolve(c.model),
    kind,
    data: inputs.source,
    ...(measured.used < inputs.count ? { used: `${measured.used} inputs: the model takes batches of exactly ${input.batch}` } : {}),
    input: scaling.description,
    batch: `${size} inputs per pass${input.batch === null ? '' : ' (the model fixes it)'}; the Hamming column compares patterns within a pass`,
    ...(other === null ? {} : { against: resolve(c.against!) }),
    backend: c.backend,
    'relu-patterns': await version(),
    created: new Date().toISOString(),
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
    options: c.given,
    meta,
    ...(warnings.length === 0 ? {} : { warnings }),
    sites: measured.sites,
    summary,
    // what each summary key means, from the catalogue every page and chart reads
    metrics: Object.fromEntries(
      ['units', 'positions', 'rows', ...SUMMARY_METRICS].map((k) => [k, { label: metricInfo(k)!.label, meaning: metricInfo(k)!.meaning }]),
    ),
    classes: inputs.classes,
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

const megabytes = (n: number): string => (n < 1e6 ? `${(n / 1e3).toFixed(0)} kB` : `${(n / 1e6).toFixed(1)} MB`)

/** Channels of an image input ([H, W, C] or [C, H, W]), or null for other inputs. */
function channelsOf(shape: readonly (number | null)[]): number | null {
  if (shape.length !== 3) return shape.length === 2 ? 1 : null
  return (channelsFirst(shape) ? shape[0] : shape[2]) ?? null
}

/** Sites with the positions the measurement saw where the model does not fix them. */
function positioned(m: Measured): { id: string; positions: number | null }[] {
  return m.sites.map((s) => ({ id: s.id, positions: s.positions ?? m.measurement.patterns[s.id]?.positions ?? null }))
}

/** Refuses an output that cannot take the report, before any work. */
async function checkOut(dir: string): Promise<void> {
  const info = await stat(dir).catch(() => null)
  if (info !== null && !info.isDirectory()) throw new UsageError(`--out ${dir} is a file; give a folder (it is created if missing).`)
  // the nearest existing ancestor must be a folder, or the folder cannot be created
  let up = resolve(dir)
  let existing = info === null ? null : up
  while (info === null) {
    const parent = dirname(up)
    const found = await stat(parent).catch(() => null)
    if (found !== null) {
      if (!found.isDirectory()) throw new UsageError(`--out ${dir} cannot be created: ${parent} is a file.`)
      existing = parent
      break
    }
    if (parent === up) break
    up = parent
  }
  // the report is staged beside DIR: try it now, not after minutes of measuring
  const beside = info === null ? existing : dirname(resolve(dir))
  if (beside !== null) {
    const probe = await mkdtemp(join(beside, '.relu-patterns-')).catch((error: unknown) => {
      throw new UsageError(`--out ${dir} cannot be written: ${error instanceof Error ? error.message : String(error)}.`, error)
    })
    await rm(probe, { recursive: true, force: true })
  }
  for (const name of ['index.html', 'report.json']) {
    const inner = await stat(join(dir, name)).catch(() => null)
    if (inner?.isDirectory() === true) throw new UsageError(`--out ${dir} holds a folder named ${name}; move it or choose another --out.`)
  }
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
