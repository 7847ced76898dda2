/* The live log of a training run: its points and fit's logs kept in memory and, in Node, appended to a JSON-lines file a live page reads. */
import { InstrumentError } from '../errors.js'
import { type Declaration, check, declareOptions, string } from '../options.js'

import type { TrainingSink } from '../timeline/schedule.js'
import type { Timeline, TimelineEntry } from '../timeline/timeline.js'
import { type LogRecord, type PointRecord, type Run, pointRecord } from './records.js'

const nonEmpty = /* @__PURE__ */ check<string>(
  'a directory path (a non-empty string)',
  (d) => typeof d === 'string' && d.replace(/[\\/]+$/, '') !== '',
)

/** Node's file system, by a name bundlers leave alone. */
const FS = 'node:fs/promises'

/**
 * The live log of one run: each point of a schedule (per site: dead share, entropies,
 * distinct patterns, each unit's on share, flip rate and weighted Jaccard against the first
 * and previous points) and `fit`'s logs, kept as a {@link Run} and, with `dir`, appended
 * to `<dir>/<name>.jsonl` as they happen, for `relu-patterns watch <dir>`.
 */
export class LiveLog implements TrainingSink {
  readonly run: Run
  /** The file the records are appended to, or null. */
  readonly path: string | null
  private readonly listeners = new Set<(run: Run) => void>()
  private written: Promise<void> = Promise.resolve()

  constructor(name: string, dir: string | null) {
    this.run = { name, points: [], logs: [] }
    this.path = dir === null ? null : `${dir.replace(/[\\/]+$/, '')}/${name}.jsonl`
  }

  async point(entry: TimelineEntry, timeline: Timeline): Promise<void> {
    await this.add(pointRecord(entry, timeline))
  }

  async logs(step: number, values: Readonly<Record<string, number>>, at: 'batch' | 'epoch'): Promise<void> {
    // the live view draws epoch logs; batch logs would grow the file by a line a batch
    if (at === 'epoch') await this.add({ type: 'logs', step, at, values: { ...values } })
  }

  /** Calls `fn` with the run after each record; returns the undo. */
  subscribe(fn: (run: Run) => void): () => void {
    this.listeners.add(fn)
    return () => this.listeners.delete(fn)
  }

  private add(record: PointRecord | LogRecord): Promise<void> {
    if (record.type === 'point') this.run.points.push(record)
    else this.run.logs.push(record)
    for (const fn of this.listeners) fn(this.run)
    const path = this.path
    if (path === null) return Promise.resolve()
    const line = `${JSON.stringify(record)}\n`
    this.written = this.written.then(async () => {
      // imported only when a directory is given, so that the entry stays usable in the browser
      const fs = (await import(/* @vite-ignore */ FS)) as typeof import('node:fs/promises')
      await fs.mkdir(path.slice(0, path.lastIndexOf('/')), { recursive: true })
      await fs.appendFile(path, line)
    })
    // a failed write rejects this call (the schedule then detaches the log); later writes still run
    const done = this.written
    this.written = done.catch(() => undefined)
    return done
  }
}

const OPTIONS = /* @__PURE__ */ declareOptions(
  'liveLog(options)',
  () => ({ dir: { check: nonEmpty }, name: { check: string } }) satisfies Declaration<{ dir?: string; name?: string }>,
)

/**
 * A live log for a schedule's `live` option. With `dir` (Node), `relu-patterns watch dir`
 * shows the run while it trains; runs of several processes in one directory are overlaid.
 *
 * @example
 * ```ts
 * import { liveLog } from 'relu-patterns/dashboard'
 *
 * const schedule = trainingCallback(probe, { every: { epochs: 0.2 }, measure: probeXs, live: liveLog({ dir: 'runs' }) })
 * // in another terminal: npx relu-patterns watch runs
 * ```
 */
export function liveLog(options: { dir?: string; name?: string } = {}): LiveLog {
  const o = OPTIONS.parse(options)
  const name = o.name ?? `run-${new Date().toISOString().replace(/[:.]/g, '-')}`
  if (!/^[\w.-]+$/.test(name))
    throw new InstrumentError(
      'INVALID_OPTION',
      `liveLog(options): name must be letters, digits, '.', '_' or '-', not ${JSON.stringify(name)}.`,
    )
  return new LiveLog(name, o.dir ?? null)
}
