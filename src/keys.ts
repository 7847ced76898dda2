/* User strings as object keys: allowed option keys with did-you-mean, and own-property reads and writes. */
import { InstrumentError } from './errors.js'

/*
 * User strings as object keys. Option objects are checked against the keys they may
 * have, so a typo is an error rather than a silently ignored option; records keyed by
 * user strings (site ids, reducer names, group keys) are read and written as own
 * properties only, so a key such as `__proto__` is a key like any other and never
 * reaches a prototype.
 */

/** Edit distance between two short strings (insertions, deletions, substitutions, transpositions). */
function distance(a: string, b: string): number {
  const rows = a.length + 1
  const cols = b.length + 1
  const d = new Uint16Array(rows * cols)
  for (let i = 0; i < rows; i++) d[i * cols] = i
  for (let j = 0; j < cols; j++) d[j] = j
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let v = Math.min(d[(i - 1) * cols + j]! + 1, d[i * cols + j - 1]! + 1, d[(i - 1) * cols + j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[(i - 2) * cols + j - 2]! + 1)
      d[i * cols + j] = v
    }
  }
  return d[rows * cols - 1]!
}

/** The allowed key closest to `key`, or null when none is plausibly meant. */
export function closest(key: string, allowed: readonly string[]): string | null {
  let best: string | null = null
  let bestDistance = Number.POSITIVE_INFINITY
  const lower = key.toLowerCase()
  for (const candidate of allowed) {
    const c = candidate.toLowerCase()
    const d = c.startsWith(lower) || lower.startsWith(c) ? Math.abs(c.length - lower.length) * 0.5 : distance(lower, c)
    if (d < bestDistance) {
      bestDistance = d
      best = candidate
    }
  }
  return best !== null && bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : null
}

/**
 * Throws `INVALID_OPTION` unless `value` is a plain object (or `undefined`, when
 * `optional`) whose own keys are all in `allowed`. `where` names the call, e.g.
 * `'instrument(model, options)'`.
 */
export function assertOptions(where: string, value: unknown, allowed: readonly string[], optional = true): void {
  if (value === undefined && optional) return
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InstrumentError('INVALID_OPTION', `${where} takes an options object, not ${describeValue(value)}.`)
  }
  const proto = Object.getPrototypeOf(value) as unknown
  if (proto !== Object.prototype && proto !== null) {
    throw new InstrumentError(
      'INVALID_OPTION',
      `${where} takes a plain options object. This one has another prototype (a class instance, or an ` +
        'object literal with a `__proto__` key, which sets the prototype instead of adding a key).',
    )
  }
  for (const key of Object.keys(value)) {
    if (allowed.includes(key)) continue
    const near = closest(key, allowed)
    throw new InstrumentError(
      'INVALID_OPTION',
      `${where}: unknown option "${key}".${near === null ? '' : ` Did you mean "${near}"?`} ` + `Valid options: ${allowed.join(', ')}.`,
    )
  }
}

/** A short description of a value for error messages. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'undefined') return String(value)
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`
}

/** Sets `record[key]` as an own data property, whatever the key (`__proto__` included). */
export function putOwn<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { value, writable: true, enumerable: true, configurable: true })
}

/** `record[key]` when it is an own property, else undefined (never an inherited value). */
export function getOwn<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined
}
