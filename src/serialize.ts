import { fingerprint, fingerprintAdd, fingerprintHex } from './bits/fingerprint.js'
import { InstrumentError } from './errors.js'

/** Format tag and version written by {@link serialize}. */
export const SERIAL_FORMAT = 'relu-patterns'
export const SERIAL_VERSION = 1

const TYPED = {
  Uint8Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
} as const
type TypedName = keyof typeof TYPED

function toBase64(bytes: Uint8Array): string {
  let s = ''
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(s)
}

function fromBase64(text: string): Uint8Array {
  const s = atob(text)
  const out = new Uint8Array(s.length)
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i)
  return out
}

function encode(value: unknown, path: string): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value
  if (typeof value === 'number') return Number.isFinite(value) ? value : { $number: String(value) }
  if (ArrayBuffer.isView(value)) {
    const name = value.constructor.name as TypedName
    if (!(name in TYPED)) throw new InstrumentError('INVALID_INPUT', `serialize(): ${name} at ${path} is not supported.`)
    return { $typed: name, base64: toBase64(new Uint8Array(value.buffer, value.byteOffset, value.byteLength)) }
  }
  if (Array.isArray(value)) return value.map((v, i) => encode(v, `${path}[${i}]`))
  if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = encode(v, `${path}.${k}`)
    return out
  }
  throw new InstrumentError(
    'INVALID_INPUT',
    `serialize(): ${typeof value} at ${path} is not plain data (numbers, strings, booleans, null, arrays, ` +
      'plain objects and typed arrays).',
  )
}

const corrupt = (what: string): InstrumentError =>
  new InstrumentError('CORRUPT_DATA', `deserialize(): ${what}. The data is damaged or was not written by serialize().`)

function decode(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value
  if (Array.isArray(value)) return value.map(decode)
  const o = value as Record<string, unknown>
  if (typeof o['$number'] === 'string') {
    const n = Number(o['$number'])
    if (!Number.isNaN(n) || o['$number'] === 'NaN') return n
    throw corrupt(`bad number ${o['$number']}`)
  }
  if (typeof o['$typed'] === 'string') {
    const Ctor = TYPED[o['$typed'] as TypedName]
    if (Ctor === undefined || typeof o['base64'] !== 'string') throw corrupt(`unknown array type ${o['$typed']}`)
    const bytes = fromBase64(o['base64'])
    if (bytes.byteLength % Ctor.BYTES_PER_ELEMENT !== 0) throw corrupt(`a ${o['$typed']} of ${bytes.byteLength} bytes`)
    return new Ctor(bytes.buffer as ArrayBuffer, 0, bytes.byteLength / Ctor.BYTES_PER_ELEMENT)
  }
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(o)) out[k] = decode(v)
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
 * versioned JSON text: typed arrays as base64, NaN and Infinity kept, with a checksum.
 * States are plain objects too, so `structuredClone` and `postMessage` also work directly.
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
  const data = JSON.stringify(encode(value, '$'))
  return `{"format":"${SERIAL_FORMAT}","version":${SERIAL_VERSION},"checksum":"${checksum(data)}","data":${data}}`
}

/**
 * Reads what {@link serialize} wrote. Damaged or foreign text is `CORRUPT_DATA`; text
 * from an incompatible version is `UNSUPPORTED_VERSION`; neither ever gives a wrong value.
 *
 * @example
 * ```ts
 * const again = deserialize(serialize({ counts: new Float64Array([1, 2]) }))
 * ```
 */
export function deserialize(text: string): unknown {
  if (typeof text !== 'string') throw corrupt('expected a string')
  const head = /^\{"format":"([^"]*)","version":(\d+),"checksum":"([0-9a-f]{16}-\d+)","data":/.exec(text)
  if (head === null || !text.endsWith('}')) throw corrupt('no relu-patterns header')
  if (head[1] !== SERIAL_FORMAT) throw corrupt(`format is ${head[1]}`)
  if (Number(head[2]) !== SERIAL_VERSION) {
    throw new InstrumentError(
      'UNSUPPORTED_VERSION',
      `deserialize(): data has format version ${head[2]}; this release reads version ${SERIAL_VERSION}. ` +
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
  return decode(parsed)
}
