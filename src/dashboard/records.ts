/* What a live view holds of a training run: one record per point (numbers per site) and per fit log, as JSON lines. */
import { InstrumentError } from '../errors.js'
import { resultOfKind } from '../metrics/catalogue.js'
import { summarize } from '../metrics/summary.js'
import type { Timeline, TimelineEntry } from '../timeline/timeline.js'

/** One site at one point: the summary's numbers, each unit's on share, and the comparisons with the first and previous points. */
export interface SitePoint {
  units: number
  rows: number
  dead: number | null
  meanEntropy: number | null
  normalizedEntropy: number | null
  distinct: number | null
  topShare: number | null
  /** Non-finite activations seen (NaN read as off), or null without `unitStats`. */
  nonFinite: number | null
  /** False when the histogram passed its memory cap (distinct is then a lower bound). */
  exact: boolean
  /** Each unit's share of rows on (from `unitStats`), or null. */
  frequency: number[] | null
  vsFirst: { weightedJaccard: number | null; flipRate: number | null } | null
  vsPrevious: { weightedJaccard: number | null; flipRate: number | null } | null
}

/** A point of the schedule. */
export interface PointRecord {
  type: 'point'
  step: number
  epoch: number | null
  examples: number | null
  label: string | null
  /** Per site id, in site order. */
  sites: Record<string, SitePoint>
}

/** `fit`'s loss and metrics at a step. */
export interface LogRecord {
  type: 'logs'
  step: number
  at: 'batch' | 'epoch'
  values: Record<string, number>
}

/** A training run as a live view shows it. */
export interface Run {
  name: string
  points: PointRecord[]
  logs: LogRecord[]
  /** Why the run's log could not be read, when it could not. */
  problem?: string
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)

/** The record of the last point of a timeline (`entry`), with its comparisons computed alone. */
export function pointRecord(entry: TimelineEntry, timeline: Timeline): PointRecord {
  const index = timeline.entries.lastIndexOf(entry as never)
  const compared = (ref: 'first' | 'previous') =>
    index <= 0 || timeline.keep === 'results' ? undefined : timeline.compareEntry(index, ref)
  const [first, previous] = [compared('first'), compared('previous')]
  const sites: Record<string, SitePoint> = {}
  for (const row of summarize(entry.results)) {
    const freq = resultOfKind(entry.results[row.site], 'unitStats')?.['frequency']
    const vs = (c: ReturnType<typeof compared>) => {
      const s = c?.[row.site] as { weightedJaccard?: unknown; flipRate?: unknown } | undefined
      return s === undefined ? null : { weightedJaccard: num(s.weightedJaccard), flipRate: num(s.flipRate) }
    }
    sites[row.site] = {
      units: row.units,
      rows: row.rows,
      dead: row.dead,
      meanEntropy: row.meanEntropy,
      normalizedEntropy: row.normalizedEntropy,
      distinct: row.distinct,
      topShare: row.topShare,
      nonFinite: row.nonFinite,
      exact: row.exact,
      frequency: freq instanceof Float64Array && row.rows > 0 ? Array.from(freq) : null,
      vsFirst: vs(first),
      vsPrevious: vs(previous),
    }
  }
  return {
    type: 'point',
    step: entry.step,
    epoch: entry.epoch ?? null,
    examples: entry.examples ?? null,
    label: entry.label ?? null,
    sites,
  }
}

/** A run from JSON lines (blank and partly written last lines are skipped: the writer may be mid-line). */
export function parseRun(name: string, text: string): Run {
  const run: Run = { name, points: [], logs: [] }
  const lines = text.split('\n')
  lines.forEach((line, i) => {
    if (line.trim() === '') return
    let record: unknown
    try {
      record = JSON.parse(line)
    } catch (error) {
      // only the last line may be incomplete (being written)
      if (i === lines.length - 1) return
      throw new InstrumentError('CORRUPT_DATA', `${name}: line ${i + 1} is not JSON; the run log is damaged.`, { cause: error })
    }
    const bad = (what: string): InstrumentError =>
      new InstrumentError('CORRUPT_DATA', `${name}: line ${i + 1} ${what}; the run log is damaged.`)
    const r = (typeof record === 'object' && record !== null ? record : {}) as Record<string, unknown>
    const isNum = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v)
    if (!isNum(r['step'])) throw bad('has no numeric step')
    if (r['type'] === 'point') {
      const sites = r['sites']
      if (typeof sites !== 'object' || sites === null || Array.isArray(sites)) throw bad('has no sites')
      if (!(r['epoch'] === null || isNum(r['epoch'])) || !(r['examples'] === null || isNum(r['examples'])))
        throw bad('has a non-numeric epoch or examples')
      for (const s of Object.values(sites))
        if (typeof s !== 'object' || s === null || !isNum((s as SitePoint).units)) throw bad('has a site without units')
      run.points.push(record as PointRecord)
    } else if (r['type'] === 'logs') {
      if (typeof r['values'] !== 'object' || r['values'] === null) throw bad('has no values')
      run.logs.push(record as LogRecord)
    } else throw bad('is neither a point nor a log record')
  })
  return run
}
