/* Shards: which passes the I-th of N parts measures, its state file, and the exact merge of N of them into one report. */
import { open, readFile, rename, rm } from 'node:fs/promises'
import { dirname, join, basename } from 'node:path'
import type { Measurement, RetainedPatterns } from '../compare/measurement.js'
import { fingerprint, fingerprintAdd, fingerprintHex } from '../bits/fingerprint.js'
import { InstrumentError } from '../errors.js'
import type { AnyReducer, Reducer } from '../reducer.js'
import { patternHistogram } from '../reducers/pattern-histogram.js'
import { deserialize, serializeBinaryParts } from '../serialize/index.js'
import { reportReducers } from './measure.js'
import type { Finished } from './report-file.js'
import { UsageError } from './usage.js'

/** Tag and version of a shard's state file (its bytes are the binary state format). */
const SHARD_FORMAT = 'relu-patterns-shard'
const SHARD_VERSION = 1

/**
 * The inputs [from, to) of shard `index` of `count`: whole passes of `size` inputs, split
 * as evenly as passes allow, so that the shards together make the passes one process makes.
 */
export function shardRows(used: number, size: number, shard: { index: number; count: number }): { from: number; to: number } {
  const passes = Math.ceil(used / size)
  const first = Math.floor(((shard.index - 1) * passes) / shard.count)
  const last = Math.floor((shard.index * passes) / shard.count)
  return { from: Math.min(first * size, used), to: Math.min(last * size, used) }
}

/** Each reducer as one whose result is its state: a shard keeps states, which merge exactly; results do not. */
export function keepingStates(reducers: Record<string, AnyReducer>): Record<string, AnyReducer> {
  return Object.fromEntries(
    Object.entries(reducers).map(([k, r]) => [k, { ...r, result: (s: unknown) => structuredClone(s) } as Reducer<unknown, unknown>]),
  )
}

/** A fingerprint of the model's weights and sites: shards of other weights are not merged. */
export function modelFingerprint(weights: readonly Float32Array[], sites: readonly { id: string; units: number }[]): string {
  const f = fingerprint()
  for (const w of weights) fingerprintAdd(f, new Uint32Array(w.buffer, w.byteOffset, w.length))
  fingerprintAdd(f, Uint32Array.from(new TextEncoder().encode(JSON.stringify(sites.map((s) => [s.id, s.units])))))
  return fingerprintHex(f)
}

/** A fingerprint of the inputs fed (their float32 bits, in order) and their labels: shards of other data are not merged. */
export function dataFingerprint(values: Float32Array, labels: Int32Array | null): string {
  const f = fingerprint()
  fingerprintAdd(f, new Uint32Array(values.buffer, values.byteOffset, values.length))
  if (labels !== null) fingerprintAdd(f, new Uint32Array(labels.buffer, labels.byteOffset, labels.length))
  return `${fingerprintHex(f)}${labels === null ? '' : '+labels'}`
}

/** What a shard's file holds. */
export interface Shard {
  format: typeof SHARD_FORMAT
  version: number
  /** The tool's version. */
  tool: string
  shard: { index: number; count: number }
  rows: { from: number; to: number; of: number }
  /** What must be equal in every shard of one merge: the model, the options, the data. */
  same: Record<string, unknown>
  finished: Omit<Finished, 'c' | 'against' | 'pairs'> & { c: Omit<Finished['c'], 'out' | 'json'> }
}

/** Writes a shard's state file (beside it first, then moved: never half-written). */
export async function writeShard(path: string, shard: Omit<Shard, 'format' | 'version'>): Promise<number> {
  const parts = serializeBinaryParts({ format: SHARD_FORMAT, version: SHARD_VERSION, ...shard })
  const staging = join(dirname(path), `.${basename(path)}.${process.pid}.part`)
  const file = await open(staging, 'w')
  let bytes = 0
  try {
    for (const p of parts) {
      await file.write(p)
      bytes += p.length
    }
  } catch (error) {
    await file.close()
    await rm(staging, { force: true })
    throw error
  }
  await file.close()
  await rename(staging, path).catch(async (error: unknown) => {
    await rm(staging, { force: true })
    throw error
  })
  return bytes
}

/** Reads N shard files and folds them into what one process would have measured. */
export async function mergeShards(
  paths: readonly string[],
  tool: string,
): Promise<Omit<Finished, 'c'> & { c: Omit<Finished['c'], 'out' | 'json'> }> {
  const shards: Shard[] = []
  for (const path of paths) {
    let value: unknown
    try {
      value = deserialize(await readFile(path))
    } catch (error) {
      if (error instanceof InstrumentError) throw new UsageError(`${path} is not a state measure wrote: ${error.message}`, error)
      throw new UsageError(`${path} cannot be read: ${error instanceof Error ? error.message : String(error)}.`, error)
    }
    const s = value as Partial<Shard>
    if (s?.format !== SHARD_FORMAT)
      throw new UsageError(`${path} is not a state measure wrote (relu-patterns measure ... --state-out FILE).`)
    if (s.version !== SHARD_VERSION)
      throw new UsageError(`${path} is a shard of format ${String(s.version)}; this release merges format ${SHARD_VERSION}.`)
    if (!isShard(s)) throw new UsageError(`${path} is not a whole shard (fields are missing); measure it again.`)
    if (s.tool !== tool)
      throw new UsageError(`${path} was measured by relu-patterns ${s.tool} and this is ${tool}; merge with the release that measured it.`)
    shards.push(s)
  }
  const first = shards[0]!
  const key = JSON.stringify(first.same)
  shards.forEach((s, i) => {
    if (s.tool !== first.tool)
      throw new UsageError(
        `${paths[i]} was measured by relu-patterns ${s.tool} and ${paths[0]} by ${first.tool}; measure every shard with one version.`,
      )
    if (JSON.stringify(s.same) !== key) {
      const differs = Object.keys(first.same).find((k) => JSON.stringify(first.same[k]) !== JSON.stringify(s.same[k])) ?? 'options'
      const a = (first.same['options'] ?? {}) as Record<string, unknown>
      const b = (s.same['options'] ?? {}) as Record<string, unknown>
      const flag = [...new Set([...Object.keys(a), ...Object.keys(b)])].find((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]))
      const names: Record<string, string> = {
        model: 'the model (weights or sites)',
        data: 'the data (inputs or labels)',
        inputs: 'the inputs read',
        scaling: 'how inputs are scaled',
      }
      const what = differs === 'options' && flag !== undefined ? `--${flag}` : (names[differs] ?? differs)
      throw new UsageError(
        `${paths[i]} and ${paths[0]} differ in ${what}: shards of one merge measure one model with the same options and data.`,
      )
    }
    if (s.shard.count !== first.shard.count)
      throw new UsageError(
        `${paths[i]} is a shard of ${s.shard.count} and ${paths[0]} of ${first.shard.count}; merge the shards of one split.`,
      )
  })
  const count = first.shard.count
  const byIndex = new Map<number, Shard>()
  shards.forEach((s, i) => {
    if (byIndex.has(s.shard.index)) throw new UsageError(`shard ${s.shard.index}/${count} is given twice (${paths[i]}); give each once.`)
    byIndex.set(s.shard.index, s)
  })
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !byIndex.has(i))
  if (missing.length > 0)
    throw new UsageError(
      `shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${count}`).join(', ')} missing; merge all ${count}.`,
    )
  const ordered = Array.from({ length: count }, (_, i) => byIndex.get(i + 1)!)
  ordered.forEach((s, i) => {
    const from = i === 0 ? 0 : ordered[i - 1]!.rows.to
    if (s.rows.from !== from || s.rows.of !== first.rows.of)
      throw new UsageError(`shard ${i + 1}/${count} does not start where shard ${i}/${count} ends.`)
  })
  try {
    return fold(ordered)
  } catch (error) {
    throw new UsageError(
      `the shards cannot be merged: ${error instanceof Error ? error.message : String(error)} Measure them again with one release.`,
      error,
    )
  }
}

/** Whether a value read from a shard file has the fields merge reads. */
function isShard(s: Partial<Shard>): s is Shard {
  const f = s.finished as Partial<Shard['finished']> | undefined
  const m = f?.measured?.measurement as Partial<Measurement<Record<string, Record<string, unknown>>>> | undefined
  return (
    typeof s.tool === 'string' &&
    typeof s.shard?.index === 'number' &&
    typeof s.shard?.count === 'number' &&
    typeof s.rows?.from === 'number' &&
    typeof s.rows?.to === 'number' &&
    typeof s.same === 'object' &&
    s.same !== null &&
    typeof f?.c?.model === 'string' &&
    Array.isArray(f?.measured?.sites) &&
    typeof m?.results === 'object' &&
    m.results !== null &&
    typeof m.patterns === 'object' &&
    m.patterns !== null &&
    typeof m.examples === 'number'
  )
}

/** The shards' measurements as one: states merged and turned into results, patterns and labels joined in order. */
function fold(shards: readonly Shard[]): Omit<Finished, 'c'> & { c: Omit<Finished['c'], 'out' | 'json'> } {
  const base = shards[0]!.finished
  const reducers = reportReducers()
  const ms = shards.map((s) => s.finished.measured.measurement)
  const results: Record<string, Record<string, unknown>> = {}
  const patterns: Record<string, RetainedPatterns> = {}
  const histogram = patternHistogram({ maxBytes: Number.POSITIVE_INFINITY })
  for (const id of Object.keys(ms[0]!.results)) {
    results[id] = Object.fromEntries(
      Object.entries(reducers).map(([k, r]) => [k, r.result(ms.map((m) => m.results[id]![k]).reduce((a, b) => r.merge(a, b)))]),
    )
    const parts = ms.map((m) => m.patterns[id]!)
    const words = new Uint32Array(parts.reduce((n, p) => n + p.words.length, 0))
    let at = 0
    for (const p of parts) {
      words.set(p.words, at)
      at += p.words.length
    }
    patterns[id] = {
      ...parts[0]!,
      rows: parts.reduce((n, p) => n + p.rows, 0),
      words,
      histogram: parts.map((p) => p.histogram).reduce((a, b) => histogram.merge(a, b)),
    }
  }
  const measurement: Measurement<Record<string, Record<string, unknown>>> = {
    kind: 'measurement',
    examples: ms.reduce((n, m) => n + m.examples, 0),
    // a fingerprint of the inputs in order cannot be put together from parts: the parts' own, joined
    inputs: ms.map((m) => m.inputs).join('+'),
    results,
    patterns,
  }
  const labels = base.labels === null ? null : Int32Array.from(shards.flatMap((s) => Array.from(s.finished.labels!)))
  return {
    ...base,
    labels,
    measured: { measurement, sites: base.measured.sites, used: shards.reduce((n, s) => n + s.finished.measured.used, 0) },
    against: null,
    pairs: null,
  }
}
