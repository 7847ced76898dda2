/* A monitor as versioned text and back, checked. */
import { InstrumentError } from '../errors.js'
import { deserializeText as deserialize, serialize } from '../serialize/json.js'
import type { MonitoredSite, PatternSet } from './pattern-sets.js'

/** What a stringified monitor holds, checked. */
export interface MonitorData {
  sites: MonitoredSite[]
  by: 'label' | 'prediction'
  classes: number
  /** The index of the model output that gives the class (format 1: always 0). */
  output: number
  threshold: number | null
  sets: Map<string, Map<number, PatternSet>>
}

/** The monitor as versioned text (through `serialize`: typed arrays in base64, a checksum). */
export function toData(
  sites: readonly MonitoredSite[],
  by: 'label' | 'prediction',
  classes: number,
  sets: ReadonlyMap<string, ReadonlyMap<number, PatternSet>>,
  threshold: number | null,
  output: number,
): string {
  return serialize({
    kind: 'monitor',
    version: 2,
    by,
    classes,
    output,
    threshold,
    sites: sites.map((s) => ({ ...s })),
    sets: sites.map((s) => [...sets.get(s.id)!].map(([cls, set]) => ({ class: cls, rows: set.rows, words: set.words }))),
  })
}

const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0

/** Reads and checks what {@link toData} wrote; anything inconsistent is `CORRUPT_DATA`. */
export function fromData(text: string): MonitorData {
  const bad = (what: string): never => {
    throw new InstrumentError('CORRUPT_DATA', `Monitor.parse(): ${what}. The text is damaged or was not written by monitor.stringify().`)
  }
  const d = deserialize(text) as Record<string, unknown>
  if (typeof d !== 'object' || d === null || d['kind'] !== 'monitor') return bad('not a monitor')
  // format 1 predates the choice of output: its monitors read the first
  if (d['version'] !== 1 && d['version'] !== 2) return bad(`monitor format ${String(d['version'])} is not 1 or 2`)
  const output = d['version'] === 1 ? 0 : d['output']
  if (!isCount(output)) return bad('no output index')
  const by = d['by']
  if (by !== 'label' && by !== 'prediction') return bad('no class source')
  const classes = d['classes']
  if (!isCount(classes) || classes < 1) return bad('no number of classes')
  const threshold = d['threshold']
  if (threshold !== null && (typeof threshold !== 'number' || !(threshold >= 0 && threshold <= 1))) return bad('a threshold outside [0, 1]')
  const sites = d['sites']
  const sets = d['sets']
  if (!Array.isArray(sites) || sites.length === 0 || !Array.isArray(sets) || sets.length !== sites.length) return bad('no sites')
  const out = new Map<string, Map<number, PatternSet>>()
  sites.forEach((s: Record<string, unknown>, i) => {
    const ok =
      typeof s?.['id'] === 'string' &&
      isCount(s['units']) &&
      isCount(s['rowsPerExample']) &&
      s['bits'] === (s['units'] as number) * (s['rowsPerExample'] as number) &&
      (s['bits'] as number) > 0
    if (!ok) bad(`site ${i} is malformed`)
    if (out.has(s['id'] as string)) bad(`site ${String(s['id'])} appears twice`)
    const bits = s['bits'] as number
    const wpr = Math.ceil(bits / 32)
    const tail = bits & 31
    const byClass = new Map<number, PatternSet>()
    if (!Array.isArray(sets[i])) bad(`site ${i} has no patterns`)
    for (const entry of sets[i] as Record<string, unknown>[]) {
      const cls = entry?.['class']
      const rows = entry?.['rows']
      const words = entry?.['words']
      if (
        !isCount(cls) ||
        cls >= classes ||
        !isCount(rows) ||
        rows < 1 ||
        !(words instanceof Uint32Array) ||
        words.length !== rows * wpr ||
        byClass.has(cls)
      ) {
        bad(`the patterns of site ${i} are malformed`)
      }
      const w = words as Uint32Array
      for (let r = 0; tail !== 0 && r < (rows as number); r++) {
        if (w[r * wpr + wpr - 1]! >>> tail !== 0) bad(`a pattern of site ${i} has bits beyond its ${bits}`)
      }
      byClass.set(cls as number, { rows: rows as number, words: words as Uint32Array })
    }
    if (byClass.size !== classes) bad(`site ${i} lacks the patterns of some classes`)
    out.set(s['id'] as string, byClass)
  })
  return { sites: sites as MonitoredSite[], by, classes, output, threshold: threshold as number | null, sets: out }
}
