/* TensorBoard event files built in memory: Event and Summary records in TFRecord framing, the same bytes in Node and the browser. */
import { InstrumentError } from '../errors.js'
import { type Declaration, check, declareOptions, string } from '../options.js'

import { resultOfKind } from '../metrics/catalogue.js'
import { summarize } from '../metrics/summary.js'
import type { TrainingSink } from '../timeline/schedule.js'
import type { Timeline, TimelineEntry } from '../timeline/timeline.js'
import { maskedCrc32c } from './crc32c.js'
import { ProtoWriter } from './proto.js'

const nonEmpty = /* @__PURE__ */ check<string>(
  'a directory path (a non-empty string)',
  (d) => typeof d === 'string' && d.replace(/[\\/]+$/, '') !== '',
)

/*
 * An event file is a sequence of TFRecords: the data's length (uint64, little-endian), the
 * masked CRC-32C of those 8 bytes, the data, and the masked CRC-32C of the data. Each data
 * is an `Event` message (tensorboard/compat/proto/event.proto): wall_time (1, double),
 * step (2, int64) and either file_version (3, "brain.Event:2", first) or a `Summary` (5),
 * whose values (1) carry a tag (1) and a simple_value (2, float) or a `HistogramProto`
 * (5: min 1, max 2, num 3, sum 4, sum_squares 5, bucket_limit 6 and bucket 7, packed).
 */

/** Concatenated framed records. */
function frame(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + 4 + data.length + 4)
  const view = new DataView(out.buffer)
  view.setUint32(0, data.length >>> 0, true)
  view.setUint32(4, Math.floor(data.length / 2 ** 32), true)
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true)
  out.set(data, 12)
  view.setUint32(12 + data.length, maskedCrc32c(data), true)
  return out
}

/** Node's file system, by a name bundlers leave alone. */
const FS = 'node:fs/promises'

/** Seconds since the epoch, as event files stamp their events. */
const now = (): number => Date.now() / 1000

/** Equal-width buckets of values in [0, 1]: upper edges and counts, for a histogram of shares. */
export function shareBuckets(values: ArrayLike<number>, count = 20): { limits: number[]; counts: number[] } {
  if (!Number.isInteger(count) || count < 1)
    throw new InstrumentError('INVALID_INPUT', `shareBuckets: count must be a positive integer, not ${count}.`)
  const limits = Array.from({ length: count }, (_, i) => (i + 1) / count)
  return { limits, counts: bucketCounts(values, limits, 'shareBuckets') }
}

/** Counts of `values` per bucket: bucket i holds the values above `limits[i - 1]` up to `limits[i]` (the first, everything up to `limits[0]`). */
function bucketCounts(values: ArrayLike<number>, limits: readonly number[], where: string): number[] {
  const counts = new Array<number>(limits.length).fill(0)
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!
    if (!(v <= limits[limits.length - 1]!))
      throw new InstrumentError('INVALID_INPUT', `${where}: ${v} lies above the last bucket's edge, ${limits[limits.length - 1]}.`)
    let lo = 0
    let hi = limits.length - 1
    // the first edge at or above v
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (limits[mid]! >= v) hi = mid
      else lo = mid + 1
    }
    counts[lo]!++
  }
  return counts
}

/**
 * A TensorBoard event file built in memory. Write scalars and histograms, then take the
 * new bytes (to append to a file) or all of them (for a download in the browser). The
 * first record says the file's version, as TensorBoard expects.
 *
 * @example
 * ```ts
 * import { tensorboardLog } from 'relu-patterns/tensorboard'
 *
 * const log = tensorboardLog()
 * log.scalar('loss', 1, 0.42)
 * const blob = new Blob([log.bytes()]) // save as log.fileName
 * ```
 */
export class TensorBoardLog implements TrainingSink {
  /** The file name TensorBoard looks for: `events.out.tfevents.<seconds>.<host>`. */
  readonly fileName: string
  /** With `dir`, the file the records are appended to (Node), else null. */
  readonly path: string | null
  private readonly records: Uint8Array[] = []
  private taken = 0
  private written: Promise<void> = Promise.resolve()

  constructor(host = 'relu-patterns', dir: string | null = null) {
    const start = now()
    this.fileName = `events.out.tfevents.${Math.floor(start)}.${host.replace(/[^\w.-]/g, '_')}`
    this.records.push(frame(new ProtoWriter().double(1, start).uint(2, 0).bytes(3, 'brain.Event:2').finish()))
    this.path = dir === null ? null : `${dir.replace(/[\\/]+$/, '')}/${this.fileName}`
  }

  /**
   * Writes a schedule's point: per site, the share of dead units, the mean unit entropy,
   * the normalised pattern entropy, the distinct patterns and the top pattern's share
   * (tags `<site>/deadShare`, `<site>/meanEntropy`, ...); against the previous and the
   * first point, the weighted Jaccard and, with `keep: 'patterns'`, the flip rate
   * (`<site>/vsPrevious/flipRate`, ...); and a histogram of how often each unit is on
   * (`<site>/unitOnShare`). Steps are the schedule's training steps.
   */
  async point(entry: TimelineEntry, timeline: Timeline): Promise<void> {
    const index = timeline.entries.lastIndexOf(entry as never)
    const against =
      index < 0 || timeline.keep === 'results'
        ? []
        : (['previous', 'first'] as const).map((r) => [r, timeline.compareEntry(index, r)] as const)
    const wall = now()
    for (const row of summarize(entry.results)) {
      const site = row.site
      const values: [string, number | null][] = [
        ['deadShare', row.dead === null || row.units === 0 ? null : row.dead / row.units],
        ['meanEntropy', row.meanEntropy],
        ['normalizedEntropy', row.normalizedEntropy],
        ['distinct', row.distinct],
        ['topShare', row.topShare],
      ]
      for (const [ref, comparison] of against) {
        const c = comparison?.[site] as { weightedJaccard?: number; flipRate?: number } | undefined
        const name = ref === 'previous' ? 'vsPrevious' : 'vsFirst'
        values.push([`${name}/weightedJaccard`, c?.weightedJaccard ?? null], [`${name}/flipRate`, c?.flipRate ?? null])
      }
      for (const [key, v] of values) if (v !== null && Number.isFinite(v)) this.scalar(`${site}/${key}`, entry.step, v, wall)
      const units = resultOfKind(entry.results[site], 'unitStats')?.['frequency']
      if (units instanceof Float64Array && row.rows > 0) this.histogram(`${site}/unitOnShare`, entry.step, units, shareBuckets(units), wall)
    }
    if (entry.localComplexity !== undefined) this.scalar('localComplexity', entry.step, entry.localComplexity.mean, wall)
    await this.flush()
  }

  /** Writes `fit`'s loss and metrics at a step, as `fit/<name>` (epoch ends) or `fit/batch/<name>`. */
  async logs(step: number, logs: Readonly<Record<string, number>>, at: 'batch' | 'epoch'): Promise<void> {
    const wall = now()
    for (const [name, v] of Object.entries(logs))
      if (Number.isFinite(v)) this.scalar(at === 'epoch' ? `fit/${name}` : `fit/batch/${name}`, step, v, wall)
    await this.flush()
  }

  /** With `dir`, appends the records not written yet to the file (in order, one write at a time); else nothing. */
  flush(): Promise<void> {
    const path = this.path
    if (path === null) return Promise.resolve()
    const bytes = this.take()
    this.written = this.written.then(async () => {
      // imported only when a directory is given, so that the entry stays usable in the browser
      const fs = (await import(/* @vite-ignore */ FS)) as typeof import('node:fs/promises')
      await fs.mkdir(path.slice(0, path.lastIndexOf('/')), { recursive: true })
      await fs.appendFile(path, bytes)
    })
    // a failed write rejects this call (the schedule then detaches the log); later writes still run
    const done = this.written
    this.written = done.catch(() => undefined)
    return done
  }

  private event(step: number, value: ProtoWriter, wallTime: number): void {
    if (!Number.isSafeInteger(step) || step < 0)
      throw new InstrumentError('INVALID_INPUT', `TensorBoard steps are non-negative integers, not ${step}.`)
    const summary = new ProtoWriter().bytes(1, value)
    this.records.push(frame(new ProtoWriter().double(1, wallTime).uint(2, step).bytes(5, summary).finish()))
  }

  /** One scalar at a step (stored as float32, as TensorBoard's simple values are). */
  scalar(tag: string, step: number, value: number, wallTime = now()): void {
    this.event(step, new ProtoWriter().bytes(1, tag).float(2, value), wallTime)
  }

  /**
   * A histogram at a step, of `values`; buckets of equal width over [0, 1] unless given as
   * upper edges and counts (bucket i holds the values above edge i - 1 up to edge i).
   */
  histogram(tag: string, step: number, values: ArrayLike<number>, buckets = shareBuckets(values), wallTime = now()): void {
    const { limits, counts } = buckets
    if (
      limits.length === 0 ||
      limits.length !== counts.length ||
      limits.some((l, i) => !Number.isFinite(l) || (i > 0 && l <= limits[i - 1]!))
    ) {
      throw new InstrumentError('INVALID_INPUT', `histogram(${tag}): buckets need increasing finite limits and one count per limit.`)
    }
    let min = Infinity
    let max = -Infinity
    let sum = 0
    let squares = 0
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!
      min = Math.min(min, v)
      max = Math.max(max, v)
      sum += v
      squares += v * v
    }
    if (values.length === 0) min = max = 0
    const histo = new ProtoWriter()
      .double(1, min)
      .double(2, max)
      .double(3, values.length)
      .double(4, sum)
      .double(5, squares)
      .doubles(6, buckets.limits)
      .doubles(7, buckets.counts)
    this.event(step, new ProtoWriter().bytes(1, tag).bytes(5, histo), wallTime)
  }

  /** The records written since the last `take()` (the first call includes the version record). */
  take(): Uint8Array {
    const out = join(this.records.slice(this.taken))
    this.taken = this.records.length
    return out
  }

  /** Every record so far: the whole file. */
  bytes(): Uint8Array {
    return join(this.records)
  }
}

function join(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/**
 * A new in-memory TensorBoard event file.
 *
 * @example
 * ```ts
 * // Node: appended to logs/run1/events.out.tfevents.* as training runs; `tensorboard --logdir logs`
 * const log = tensorboardLog({ dir: 'logs/run1' })
 * const schedule = trainingCallback(probe, { every: { epochs: 0.5 }, measure: probeXs, tensorboard: log })
 * ```
 */
export function tensorboardLog(options: { dir?: string; host?: string } = {}): TensorBoardLog {
  const o = OPTIONS.parse(options)
  return new TensorBoardLog(o.host, o.dir ?? null)
}

const OPTIONS = /* @__PURE__ */ declareOptions(
  'tensorboardLog(options)',
  () =>
    ({ dir: { check: nonEmpty }, host: { check: string, default: 'relu-patterns' } }) satisfies Declaration<{
      dir?: string
      host?: string
    }>,
)
