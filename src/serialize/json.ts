/* States and results as versioned JSON text with typed arrays in base64 and a checksum, and back; the tree both forms share. */
import { fingerprint, fingerprintAdd, fingerprintHex } from '../bits/fingerprint.js'
import type { PatternTable } from '../bits/pattern-table.js'
import { checkTable, isTableShaped } from '../bits/table-check.js'
import { InstrumentError } from '../errors.js'
import { putOwn } from '../keys.js'

/** Format tag and version written by {@link serialize}. */
export const SERIAL_FORMAT = 'relu-patterns'
export const SERIAL_VERSION = 2

/*
 * Encoding, version 2. JSON, except:
 * - a number JSON cannot hold exactly (NaN, +-Infinity, -0) is `{ "$number": "<text>" }`;
 * - a typed array is `{ "$typed": "<constructor>", "base64": "<little-endian bytes>" }`;
 * - a key of a user object that starts with `$` gets one more `$` in front, so user data
 *   can never be read as one of the two tags above, and reads back exactly.
 * Keys are written and read as own properties (`__proto__` is a key like any other).
 * Version 1 had no key escaping; it is still read.
 */

export const TYPED = {
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
} as const
export type TypedName = keyof typeof TYPED

/** Deeper nesting than this is refused, so that neither side can overflow the stack. */
const MAX_DEPTH = 512

function toBase64(bytes: Uint8Array): string {
  let s = ''
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(s)
}

function fromBase64(text: string): Uint8Array {
  let s: string
  try {
    s = atob(text)
  } catch (error) {
    throw new InstrumentError('CORRUPT_DATA', 'deserialize(): a typed array is not valid base64. The data is damaged.', { cause: error })
  }
  const out = new Uint8Array(s.length)
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i)
  return out
}

const unusable = (what: string, path: string): InstrumentError =>
  new InstrumentError(
    'INVALID_INPUT',
    `serialize(): ${what} at ${path}. It takes plain data: numbers, strings, booleans, null, arrays, plain ` +
      'objects and typed arrays, without cycles.',
  )

/** How a typed array is written: base64 in JSON text, a section of its own in the binary form. */
export type WriteTyped = (view: ArrayBufferView, name: TypedName) => unknown

const base64Typed: WriteTyped = (view, name) => ({
  $typed: name,
  base64: toBase64(new Uint8Array(view.buffer, view.byteOffset, view.byteLength)),
})

/** Plain data as the JSON tree both forms write (typed arrays as `typed` writes them). */
export function encode(value: unknown, path: string, open: Set<object>, typed: WriteTyped = base64Typed): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value
  if (typeof value === 'number')
    return Number.isFinite(value) && !Object.is(value, -0) ? value : { $number: String(Object.is(value, -0) ? '-0' : value) }
  if (typeof value !== 'object') return unusableValue(value, path)
  if (open.has(value)) throw unusable('a cycle (a value that contains itself)', path)
  if (open.size >= MAX_DEPTH) throw unusable(`nesting deeper than ${MAX_DEPTH} levels`, path)
  if (ArrayBuffer.isView(value)) {
    const view = value as ArrayBufferView
    const ctor: unknown = view.constructor
    const name = (ctor as { name?: string }).name as TypedName
    if (!Object.hasOwn(TYPED, name) || TYPED[name] !== ctor) throw unusable(`a ${String(name)}`, path)
    return typed(view, name)
  }
  open.add(value)
  try {
    if (Array.isArray(value)) {
      // holes would come back as null
      if (Object.keys(value).length !== value.length) throw unusable('a sparse array (its holes would come back as null)', path)
      return value.map((v, i) => encode(v, `${path}[${i}]`, open, typed))
    }
    const proto = Object.getPrototypeOf(value) as unknown
    if (proto !== Object.prototype && proto !== null) throw unusable(`an instance of ${value.constructor?.name ?? 'a class'}`, path)
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) {
      if (v !== undefined) putOwn(out, k.startsWith('$') ? `$${k}` : k, encode(v, `${path}.${k}`, open, typed))
    }
    return out
  } finally {
    open.delete(value)
  }
}

function unusableValue(value: unknown, path: string): never {
  throw unusable(`a ${typeof value}`, path)
}

export const corrupt = (what: string): InstrumentError =>
  new InstrumentError('CORRUPT_DATA', `deserialize(): ${what}. The data is damaged or was not written by serialize().`)

function decodeNumber(o: Record<string, unknown>): number {
  const text = o['$number']
  if (Object.keys(o).length !== 1 || typeof text !== 'string') throw corrupt('a malformed $number')
  if (text === 'NaN') return Number.NaN
  if (text === 'Infinity') return Number.POSITIVE_INFINITY
  if (text === '-Infinity') return Number.NEGATIVE_INFINITY
  if (text === '-0') return -0
  throw corrupt(`a $number of ${JSON.stringify(text.slice(0, 20))}`)
}

function decodeTyped(o: Record<string, unknown>): ArrayBufferView {
  if (Object.hasOwn(o, '$section')) throw corrupt('a binary section in JSON text')
  const name = o['$typed']
  const Ctor = typeof name === 'string' && Object.hasOwn(TYPED, name) ? TYPED[name as TypedName] : undefined
  if (Ctor === undefined || typeof o['base64'] !== 'string' || Object.keys(o).length !== 2) throw corrupt(`a malformed typed array`)
  const bytes = fromBase64(o['base64'])
  if (bytes.byteLength % Ctor.BYTES_PER_ELEMENT !== 0) throw corrupt(`a ${String(name)} of ${bytes.byteLength} bytes`)
  return new Ctor(bytes.buffer as ArrayBuffer, 0, bytes.byteLength / Ctor.BYTES_PER_ELEMENT)
}

/** How a typed array is read back: from base64 in JSON text, from its section in the binary form. */
export type ReadTyped = (tag: Record<string, unknown>) => ArrayBufferView

/** The tree either form wrote, back as plain data, every pattern table checked. */
export function decode(value: unknown, version: number, depth: number, typed: ReadTyped = decodeTyped): unknown {
  if (value === null || typeof value !== 'object') return value
  if (depth > MAX_DEPTH) throw corrupt(`nesting deeper than ${MAX_DEPTH} levels`)
  if (Array.isArray(value)) return value.map((v) => decode(v, version, depth + 1, typed))
  const o = value as Record<string, unknown>
  if (Object.hasOwn(o, '$number')) return decodeNumber(o)
  if (Object.hasOwn(o, '$typed') || Object.hasOwn(o, '$section')) return typed(o)
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(o)) {
    let key = k
    if (version >= 2 && k.startsWith('$')) {
      if (!k.startsWith('$$')) throw corrupt(`an unknown tag ${JSON.stringify(k.slice(0, 20))}`)
      key = k.slice(1)
    }
    putOwn(out, key, decode(v, version, depth + 1, typed))
  }
  if (isTableShaped(out)) {
    try {
      checkTable(out as unknown as PatternTable)
    } catch (error) {
      throw new InstrumentError('CORRUPT_DATA', `deserialize(): an inconsistent pattern table: ${String((error as Error).message)}`, {
        cause: error,
      })
    }
  }
  return out
}

function checksum(text: string): string {
  const f = fingerprint()
  const codes = new Uint32Array(text.length)
  for (let i = 0; i < text.length; i++) codes[i] = text.charCodeAt(i)
  fingerprintAdd(f, codes)
  return fingerprintHex(f)
}

/**
 * Writes plain data (reducer states and results, measurements, timelines) as compact,
 * versioned JSON text: typed arrays as base64, NaN, Infinity and -0 kept, any key kept,
 * with a checksum. A property whose value is `undefined` is left out, as an optional one
 * (`{ u: undefined }` reads back as `{}`). Cycles, class instances, functions, sparse
 * arrays and `undefined` in an array are `INVALID_INPUT`. States are
 * plain objects too, so `structuredClone` and `postMessage` also work directly.
 *
 * @example
 * ```ts
 * const text = serialize(probe.states())
 * // ... in another process ...
 * const states = deserialize(text) as typeof localStates
 * const merged = patternHistogram().merge(states[id].patterns, localStates[id].patterns)
 * ```
 */
export function serialize(value: unknown): string {
  if (value === undefined) throw unusable('undefined', '$')
  const data = JSON.stringify(encode(value, '$', new Set()))
  return `{"format":"${SERIAL_FORMAT}","version":${SERIAL_VERSION},"checksum":"${checksum(data)}","data":${data}}`
}

/** Reads what {@link serialize} wrote (see `deserialize`, which takes either form). */
export function deserializeText(text: string): unknown {
  if (typeof text !== 'string') throw corrupt('expected a string')
  const head = /^\{"format":"([^"]*)","version":(\d+),"checksum":"([0-9a-f]{16}-\d+)","data":/.exec(text)
  if (head === null || !text.endsWith('}')) throw corrupt('no relu-patterns header')
  if (head[1] !== SERIAL_FORMAT) throw corrupt(`format is ${head[1]}`)
  const version = Number(head[2])
  if (version !== 1 && version !== SERIAL_VERSION) {
    throw new InstrumentError(
      'UNSUPPORTED_VERSION',
      `deserialize(): data has format version ${head[2]}; this release reads versions 1, ${SERIAL_VERSION} and 3 (binary). ` +
        'Read it with the release that wrote it.',
    )
  }
  const data = text.slice(head[0].length, -1)
  if (checksum(data) !== head[3]) throw corrupt('checksum does not match')
  let parsed: unknown
  try {
    parsed = JSON.parse(data)
  } catch (error) {
    throw new InstrumentError('CORRUPT_DATA', 'deserialize(): the data is not valid JSON.', { cause: error })
  }
  return decode(parsed, version, 0)
}
