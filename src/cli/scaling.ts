/* How pixels become model inputs: the user's flags, else what the model declares, else [0, 1]; and the readings that say it is wrong. */
import type { SiteSummary } from '../metrics/summary.js'
import { UsageError } from './usage.js'

/** Pixel scaling: `(pixel / scale - mean) / std`, per channel where given three. */
export interface Scaling {
  readonly scale: number
  readonly mean: readonly number[]
  readonly std: readonly number[]
  /** Where it comes from: the flags, the model, the default, or none (a .npy array is fed as it is). */
  readonly source: 'flags' | 'model' | 'default' | 'array'
  /** One line saying what was fed, for the terminal and the report. */
  readonly description: string
}

/** Named ranges for `--range`: pixels 0..255 mapped linearly onto [lo, hi]. */
const RANGES: Readonly<Record<string, readonly [number, number]>> = { '0,1': [0, 1], '-1,1': [-1, 1], '0,255': [0, 255] }

const fmt = (x: number): string => String(Number(x.toPrecision(6)))

/** The range pixels 0..255 land in under `s` (over channels). */
function rangeOf(s: Pick<Scaling, 'scale' | 'mean' | 'std'>): [number, number] {
  let lo = Number.POSITIVE_INFINITY
  let hi = Number.NEGATIVE_INFINITY
  for (let c = 0; c < Math.max(s.mean.length, s.std.length); c++) {
    const m = s.mean[s.mean.length === 1 ? 0 : c]!
    const d = s.std[s.std.length === 1 ? 0 : c]!
    for (const p of [0, 255]) {
      const v = (p / s.scale - m) / d
      lo = Math.min(lo, v)
      hi = Math.max(hi, v)
    }
  }
  return [lo, hi]
}

function describe(s: Pick<Scaling, 'scale' | 'mean' | 'std'>, why: string): string {
  const [lo, hi] = rangeOf(s)
  const steps = [
    s.scale === 1 ? null : `/ ${fmt(s.scale)}`,
    s.mean.some((m) => m !== 0) ? `- ${s.mean.map(fmt).join(',')}` : null,
    s.std.some((d) => d !== 1) ? `/ ${s.std.map(fmt).join(',')}` : null,
  ].filter((x) => x !== null)
  return `pixels 0..255 ${steps.length === 0 ? 'as they are' : steps.join(' then ')} -> [${fmt(lo)}, ${fmt(hi)}] (${why})`
}

const list = (value: string | undefined, flag: string): number[] | undefined => {
  if (value === undefined) return undefined
  const parts = value.split(',').map((p) => (p.trim() === '' ? Number.NaN : Number(p)))
  if (parts.some((n) => !Number.isFinite(n)) || (parts.length !== 1 && parts.length !== 3))
    throw new UsageError(`${flag} takes one number or three, comma-separated, not ${JSON.stringify(value)}.`)
  return parts
}

/** What the model says of its input, found by {@link declaredScaling}. */
export interface Declared {
  readonly scale: number
  readonly mean: readonly number[]
  readonly std: readonly number[]
  readonly why: string
}

/**
 * The scaling to feed: `--range`, or `--scale` / `--mean` / `--std`, else what the model
 * declares, else pixels / 255 (values in [0, 1]).
 */
export function resolveScaling(
  flags: { range?: string | undefined; scale?: string | undefined; mean?: string | undefined; std?: string | undefined },
  declared: Declared | null,
  data: { array: boolean; channels: number | null; integer: boolean } = { array: false, channels: null, integer: false },
): Scaling {
  const given = flags.range !== undefined || flags.scale !== undefined || flags.mean !== undefined || flags.std !== undefined
  if (data.array) {
    if (given)
      throw new UsageError(
        'a .npy array is fed as it is: --range, --scale, --mean and --std apply to images and mnist. Scale the array when you make it.',
      )
    return { scale: 1, mean: [0], std: [1], source: 'array', description: 'the .npy values as they are (no scaling)' }
  }
  const s = resolveFlags(flags, declared)
  for (const [values, flag] of [
    [s.mean, '--mean'],
    [s.std, '--std'],
  ] as const) {
    if (values.length === 3 && data.channels !== 3)
      throw new UsageError(
        `${flag} gives 3 values, one per channel, and the model's images have ${data.channels ?? 'no'} channel${data.channels === 1 ? '' : 's'}; give one value.`,
      )
  }
  const [lo, hi] = rangeOf(s)
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || Math.max(Math.abs(lo), Math.abs(hi)) > 3.4e38) {
    throw new UsageError(
      `this scaling maps pixels onto [${fmt(lo)}, ${fmt(hi)}], past the range of float32 inputs; give a smaller scale, mean or std.`,
    )
  }
  // integer inputs are rounded: only pixels as they are reach the model unchanged
  if (data.integer && given && (s.scale !== 1 || s.mean.some((m) => m !== 0) || s.std.some((d) => d !== 1))) {
    throw new UsageError('the model takes int32 pixels, so any other scaling would be rounded away; give --range 0,255 or no scaling flag.')
  }
  return s
}

function resolveFlags(
  flags: { range?: string | undefined; scale?: string | undefined; mean?: string | undefined; std?: string | undefined },
  declared: Declared | null,
): Scaling {
  if (flags.range !== undefined) {
    if (flags.scale !== undefined || flags.mean !== undefined || flags.std !== undefined)
      throw new UsageError('--range sets the whole scaling; give it alone, or --scale/--mean/--std instead.')
    const named = RANGES[flags.range.replace(/\s/g, '')]
    if (named === undefined) throw new UsageError(`--range takes 0,1 or -1,1 or 0,255, not ${flags.range}.`)
    const [lo, hi] = named
    const s = { scale: 255 / (hi - lo), mean: [-lo], std: [1] }
    return { ...s, source: 'flags', description: describe(s, `--range ${flags.range}`) }
  }
  if (flags.scale !== undefined || flags.mean !== undefined || flags.std !== undefined) {
    const scale = flags.scale === undefined ? 255 : Number(flags.scale)
    if (!(scale > 0) || !Number.isFinite(scale)) throw new UsageError(`--scale takes a positive number, not ${flags.scale}.`)
    const s = { scale, mean: list(flags.mean, '--mean') ?? [0], std: list(flags.std, '--std') ?? [1] }
    if (s.std.some((d) => d === 0)) throw new UsageError('--std cannot be 0.')
    return { ...s, source: 'flags', description: describe(s, 'from --scale/--mean/--std') }
  }
  if (declared !== null)
    return { scale: declared.scale, mean: declared.mean, std: declared.std, source: 'model', description: describe(declared, declared.why) }
  const s = { scale: 255, mean: [0], std: [1] }
  return {
    ...s,
    source: 'default',
    description: describe(s, 'the default; the model does not say: --range -1,1 or 0,255 if it expects another range'),
  }
}

/** A graph node as the converter loads it, the parts read here. */
interface Node {
  readonly op: string
  readonly name: string
  readonly inputs: readonly Node[]
  readonly children: readonly Node[]
}

/** The scalar constant among a node's inputs, read from the weights. */
function scalar(node: Node, weights: Readonly<Record<string, readonly { size: number; dataSync(): ArrayLike<number> }[]>>): number | null {
  for (const i of node.inputs) {
    const t = i.op === 'Const' ? weights[i.name]?.[0] : undefined
    if (t !== undefined && t.size === 1) return t.dataSync()[0]!
  }
  return null
}

const near = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-6 * Math.abs(b)

/**
 * What the model says of its input range: a layers model whose first layer is a
 * `Rescaling`, a graph model whose input is integer (pixels as they are) or is first
 * multiplied by 1/255 or 1/127.5 (or divided by 255 or 127.5): all take pixels 0..255
 * unscaled. Null when nothing says.
 */
export function declaredScaling(model: object): Declared | null {
  const raw = (why: string): Declared => ({ scale: 1, mean: [0], std: [1], why })
  const layers = (model as { layers?: readonly { getClassName(): string; getConfig(): Record<string, unknown> }[] }).layers
  if (Array.isArray(layers)) {
    const first = layers.find((l) => l.getClassName() !== 'InputLayer')
    if (first?.getClassName() === 'Rescaling') {
      const c = first.getConfig()
      return raw(`the model's first layer rescales by ${String(c['scale'])}${c['offset'] ? ` + ${String(c['offset'])}` : ''}`)
    }
    return null
  }
  const g = model as {
    inputs?: readonly { name: string; dtype?: string }[]
    executor?: { graph?: { nodes?: Record<string, Node> }; weightMap?: Record<string, { size: number; dataSync(): ArrayLike<number> }[]> }
  }
  const input = g.inputs?.[0]
  if (input === undefined) return null
  if (input.dtype === 'int32') return raw('the model takes int32 pixels')
  const node = g.executor?.graph?.nodes?.[input.name]
  const weights = g.executor?.weightMap ?? {}
  for (const c of node?.children ?? []) {
    const k = scalar(c, weights)
    if (k === null) continue
    if (c.op === 'Mul' && (near(k, 1 / 255) || near(k, 1 / 127.5) || near(k, 2 / 255)))
      return raw(`the model multiplies its input by ${fmt(k)} first`)
    if ((c.op === 'RealDiv' || c.op === 'Div') && (near(k, 255) || near(k, 127.5)))
      return raw(`the model divides its input by ${fmt(k)} first`)
  }
  return null
}

/**
 * Why the readings look like inputs the model was not trained on (sites holding most of
 * the units with at most 2 distinct patterns, or most units dead), with what was fed and
 * what to try; null when they do not.
 */
export function mismatchWarning(rows: readonly SiteSummary[], scaling: Scaling): string | null {
  const sign = rows.filter((r) => !r.site.endsWith(':saturated') && r.site !== 'network')
  if (sign.length === 0) return null
  // weighed by units: a head of 3 units may rightly be constant over a few inputs, a trunk of thousands may not;
  // a site of one unit, or of a few rows, cannot show more than 2 patterns anyway
  const able = sign.filter((r) => r.units >= 2 && r.rows >= 4)
  const flat = able.filter((r) => r.distinct !== null && r.distinct <= 2)
  const ableUnits = able.reduce((n, r) => n + r.units, 0)
  const flatUnits = flat.reduce((n, r) => n + r.units, 0)
  const why: string[] = []
  if (ableUnits > 0 && flatUnits > ableUnits / 2)
    why.push(`${flat.length} of ${able.length} sites, with ${flatUnits} of their ${ableUnits} units, have at most 2 distinct patterns`)
  const units = sign.reduce((n, r) => n + r.units, 0)
  const dead = sign.reduce((n, r) => n + (r.dead ?? 0), 0)
  if (units > 0 && dead > units / 2) why.push(`${dead} of ${units} units are dead`)
  if (why.length === 0) return null
  const advice =
    scaling.source === 'array'
      ? 'If the model was trained on another range, scale the array as it was (the .npy is fed as it is).'
      : 'If the model was trained on another range, say it: --range 0,1, --range -1,1 or --range 0,255, or --scale/--mean/--std.'
  return `These readings look like a preprocessing mismatch: ${why.join(', and ')}. The inputs were ${scaling.description}. ${advice}`
}
