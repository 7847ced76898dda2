/* The relu-patterns command line: report, measure (a shard), merge and watch, from flags to files. */
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { dirname, extname, join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import * as tf from '@tensorflow/tfjs-core'
import { InstrumentError } from '../errors.js'
import { type Command, HELP, parseCommand } from './flags.js'
import { type Inputs, channelsFirst, readInputs, readLabels } from './inputs.js'
import { loadModel } from './load.js'
import { inputOf, matchSites, measureModel, reportReducers, sitesOf } from './measure.js'
import { type Io, version, writeReport } from './report-file.js'
import { type Scaling, declaredScaling, resolveScaling } from './scaling.js'
import { dataFingerprint, keepingStates, mergeShards, modelFingerprint, shardRows, writeShard } from './shards.js'
import { UsageError } from './usage.js'
import { watch } from './watch.js'

export type { Io } from './report-file.js'
export { HELP } from './flags.js'

const processIo: Io = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  tty: process.stderr.isTTY === true,
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
  if (argv[0] === 'merge') return mergeCommand(argv, io)
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
  if (c.command === 'report') await checkOut(c.out)
  else await checkStateOut(c.stateOut!)
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
    reducers: reportReducers(),
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
  if (c.command === 'measure') return measureShard(c, { model, kind, inputs, labels, size, used, scaling, batch: input.batch, options }, io)
  const bar = progress(io, inputs.count * (other === null ? 1 : 2))
  const measured = await measureModel(model, inputs, labels, c.batchSize, options, bar.tick)
  bar.next()
  const against = other === null ? null : await measureModel(other.model, inputs, labels, c.batchSize, options, bar.tick)
  bar.done()
  await writeReport(
    {
      c,
      kind,
      source: inputs.source,
      classes: inputs.classes,
      count: inputs.count,
      batch: input.batch,
      size,
      scaling,
      labels,
      measured,
      against,
      pairs,
    },
    io,
  )
}

/** Channels of an image input ([H, W, C] or [C, H, W]), or null for other inputs. */
function channelsOf(shape: readonly (number | null)[]): number | null {
  if (shape.length !== 3) return shape.length === 2 ? 1 : null
  return (channelsFirst(shape) ? shape[0] : shape[2]) ?? null
}

/** What one shard measures with: the model, the inputs read, how they are fed. */
interface ShardInput {
  model: Parameters<typeof measureModel>[0]
  kind: string
  inputs: Inputs
  labels: Int32Array | null
  size: number
  used: number
  scaling: Scaling
  batch: number | null
  options: Parameters<typeof measureModel>[4]
}

/** `measure --shard I/N --state-out FILE`: measures the I-th part of the passes and writes its state. */
async function measureShard(c: Command, s: ShardInput, io: Io): Promise<void> {
  const { from, to } = shardRows(s.used, s.size, c.shard)
  if (from === to)
    throw new UsageError(
      `shard ${c.shard.index}/${c.shard.count} has no pass to measure: ${s.used} inputs make ${Math.ceil(s.used / s.size)} passes of ${s.size}; split into fewer shards.`,
    )
  const per = s.inputs.shape.reduce((a, b) => a * b, 1)
  const part: Inputs = { ...s.inputs, values: s.inputs.values.subarray(from * per, to * per), count: to - from }
  const labels = s.labels === null ? null : s.labels.slice(from, to)
  io.stderr(`relu-patterns: shard ${c.shard.index}/${c.shard.count}: inputs ${from} to ${to - 1} of ${s.used}\n`)
  const bar = progress(io, part.count)
  const measured = await measureModel(
    s.model,
    part,
    labels,
    c.batchSize,
    { ...s.options, reducers: keepingStates(reportReducers()) },
    bar.tick,
  )
  bar.done()
  const { model: _model, data: _data, labels: _labels, ...options } = c.given
  const bytes = await writeShard(c.stateOut!, {
    tool: await version(),
    shard: c.shard,
    rows: { from, to, of: s.used },
    same: {
      // what the model is, the data are and the options were, not where they were read from
      model: modelFingerprint(weightsOf(s.model), measured.sites),
      data: dataFingerprint(s.inputs.values.subarray(0, s.used * per), s.labels?.subarray(0, s.used) ?? null),
      options: Object.fromEntries(Object.entries(options).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
      inputs: { source: s.inputs.source, count: s.inputs.count, used: s.used, perPass: s.size },
      scaling: s.scaling,
    },
    finished: {
      c: { model: c.model, against: undefined, byOrder: false, full: false, backend: c.backend, given: c.given },
      modelPath: resolve(c.model),
      kind: s.kind,
      source: s.inputs.source,
      classes: s.inputs.classes,
      count: s.inputs.count,
      batch: s.batch,
      size: s.size,
      scaling: s.scaling,
      labels,
      measured,
    },
  })
  io.stdout(`wrote ${c.stateOut} (shard ${c.shard.index}/${c.shard.count}, ${to - from} inputs, ${(bytes / 1e6).toFixed(1)} MB)\n`)
}

/** The model's weights, as float32 values in order. */
function weightsOf(model: object): Float32Array[] {
  const m = model as { getWeights?: () => tf.Tensor[]; weights?: Record<string, tf.Tensor[]> }
  const tensors = typeof m.getWeights === 'function' ? m.getWeights() : Object.values(m.weights ?? {}).flat()
  return tensors.map((t) => Float32Array.from(t.dataSync() as ArrayLike<number>))
}

/** `relu-patterns merge FILE... --out DIR [--json]`: the report of N shards, as one process would have written it. */
async function mergeCommand(argv: readonly string[], io: Io): Promise<void> {
  let parsed: { values: { out?: string | undefined; json?: boolean | undefined }; positionals: string[] }
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { out: { type: 'string' }, json: { type: 'boolean' } },
      allowPositionals: true,
      strict: true,
    })
  } catch (error) {
    throw new UsageError(
      `${error instanceof Error ? error.message.split('\n')[0] : String(error)} (relu-patterns merge FILE... --out DIR [--json]).`,
      error,
    )
  }
  const files = parsed.positionals.slice(1)
  if (files.length === 0) throw new UsageError('merge takes the state files measure wrote: relu-patterns merge FILE... --out DIR.')
  const out = parsed.values.out
  if (out === undefined) throw new UsageError('merge needs --out DIR.')
  await checkOut(out)
  const merged = await mergeShards(files, await version())
  const json = parsed.values.json === true
  const given = { ...merged.c.given, out, ...(json ? { json: true } : {}) }
  await writeReport({ ...merged, c: { ...merged.c, out, json, given } }, io)
}

/** Refuses a state file that cannot be written, before any work. */
async function checkStateOut(file: string): Promise<void> {
  const info = await stat(file).catch(() => null)
  if (info?.isDirectory() === true) throw new UsageError(`--state-out ${file} is a folder; give a file.`)
  const dir = await stat(dirname(resolve(file))).catch(() => null)
  if (dir?.isDirectory() !== true) throw new UsageError(`--state-out ${file}: its folder ${dirname(resolve(file))} does not exist.`)
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
