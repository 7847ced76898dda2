/* The binary state format (version 3): typed arrays as sections written as they are in memory, a JSON header, a CRC-32. */
import { crc32 } from '../bits/crc32.js'
import { InstrumentError } from '../errors.js'
import { SERIAL_FORMAT, TYPED, type TypedName, corrupt, decode, encode } from './json.js'

/*
 * Layout (docs/state-format.md is the specification):
 *   0  8 bytes  magic "RPSTATE\n"
 *   8  u32      version, 3
 *  12  u32      header length H in bytes
 *  16  H bytes  header, UTF-8 JSON: { format, version, bytes, sections: [[type, offset, length], ...], data }
 *      padding  zeros up to a multiple of 8
 *      sections each at a multiple of 8 from the start, little-endian, zero padded
 *  end-4  u32   CRC-32 (zlib's) of every byte before it
 * All integers little-endian. In `data`, a typed array is { "$section": index }, each
 * section used exactly once; the rest is the tree of the JSON form (version 2).
 */

/** The first eight bytes of a binary state. */
export const BINARY_MAGIC: Uint8Array = /* @__PURE__ */ new TextEncoder().encode('RPSTATE\n')
/** Version written by {@link serializeBinary}. */
export const BINARY_VERSION = 3

const align8 = (n: number): number => (n + 7) & ~7
const littleEndian = /* @__PURE__ */ new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

/** True when `bytes` start as a binary state does. */
export function isBinaryState(bytes: Uint8Array): boolean {
  if (bytes.length < BINARY_MAGIC.length) return false
  for (let i = 0; i < BINARY_MAGIC.length; i++) if (bytes[i] !== BINARY_MAGIC[i]) return false
  return true
}

/**
 * Writes plain data (states, results, measurements) in the binary form: what
 * {@link serialize} writes, but each typed array as its bytes, so a state of tens of
 * megabytes is written and read at memory speed. `deserialize` reads it. Save it with
 * `writeFileSync(path, bytes)` in Node, or `new Blob([bytes])` in a browser; to write
 * without a copy of the state, use {@link serializeBinaryParts}.
 *
 * @example
 * ```ts
 * import { readFileSync, writeFileSync } from 'node:fs'
 * import { deserialize, serializeBinary } from 'relu-patterns'
 *
 * writeFileSync('states.rps', serializeBinary(probe.states()))
 * const states = deserialize(readFileSync('states.rps'))
 * ```
 */
export function serializeBinary(value: unknown): Uint8Array {
  const parts = serializeBinaryParts(value)
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/**
 * The bytes of {@link serializeBinary}, as pieces to write one after another: the typed
 * arrays' pieces are views of the value's own memory (no copy), so writing a state takes
 * no memory beyond the state. Write them before the state changes.
 *
 * @example
 * ```ts
 * import { createWriteStream } from 'node:fs'
 * import { serializeBinaryParts } from 'relu-patterns'
 *
 * const out = createWriteStream('states.rps')
 * for (const part of serializeBinaryParts(probe.states())) out.write(part)
 * out.end()
 * // in a browser: new Blob(serializeBinaryParts(states)) to download
 * ```
 */
export function serializeBinaryParts(value: unknown): Uint8Array[] {
  if (!littleEndian)
    throw new InstrumentError('INVALID_INPUT', 'serializeBinary(): this machine is big-endian; use serialize() (JSON text).')
  if (value === undefined) throw new InstrumentError('INVALID_INPUT', 'serializeBinary(): undefined at $. It takes plain data.')
  const views: Uint8Array[] = []
  const names: TypedName[] = []
  const data = encode(value, '$', new Set(), (view, name) => {
    views.push(new Uint8Array(view.buffer, view.byteOffset, view.byteLength))
    names.push(name)
    return { $section: views.length - 1 }
  })
  // the header holds the sections' offsets, which follow the header: settle its length first
  const layout = (start: number): { offsets: number[]; end: number } => {
    const offsets: number[] = []
    let at = start
    for (const v of views) {
      offsets.push(at)
      at = align8(at + v.byteLength)
    }
    return { offsets, end: at }
  }
  let start = 16
  let header = new Uint8Array(0)
  // a later start only lengthens the header, so this settles, in a round or two
  for (let round = 0; ; round++) {
    const { offsets, end } = layout(start)
    const sections = views.map((v, i) => [names[i], offsets[i], v.byteLength])
    const text = `{"format":"${SERIAL_FORMAT}","version":${BINARY_VERSION},"bytes":${end + 4},"sections":${JSON.stringify(sections)},"data":${JSON.stringify(data)}}`
    header = new TextEncoder().encode(text)
    const settled = align8(16 + header.length)
    if (settled === start) break
    if (round === 64) throw new InstrumentError('RECORD_FAILED', 'serializeBinary(): the header did not settle; please report this.')
    start = settled
  }
  const head = new Uint8Array(start)
  head.set(BINARY_MAGIC, 0)
  const dv = new DataView(head.buffer)
  dv.setUint32(8, BINARY_VERSION, true)
  dv.setUint32(12, header.length, true)
  head.set(header, 16)
  const parts: Uint8Array[] = [head]
  const zeros = new Uint8Array(8)
  for (const v of views) {
    parts.push(v)
    if (v.byteLength % 8 !== 0) parts.push(zeros.subarray(0, 8 - (v.byteLength % 8)))
  }
  let crc = 0
  for (const p of parts) crc = crc32(p, crc)
  const tail = new Uint8Array(4)
  new DataView(tail.buffer).setUint32(0, crc, true)
  parts.push(tail)
  return parts
}

/** Reads a binary state (see {@link serializeBinary}); every check of the JSON form, and the layout's. */
export function deserializeBinary(input: Uint8Array): unknown {
  if (!littleEndian) throw new InstrumentError('INVALID_INPUT', 'deserialize(): this machine is big-endian; read the JSON form instead.')
  if (!isBinaryState(input)) throw corrupt('no relu-patterns header')
  if (input.length < 20) throw corrupt(`a binary state of ${input.length} bytes`)
  // sections are read in place when the bytes start on an 8-byte boundary and are most of
  // their buffer; else copied once (a Buffer from Node's pool, a frame inside a larger file)
  const inPlace =
    input.byteOffset % 8 === 0 && input.byteLength * 2 >= input.buffer.byteLength && !(input.buffer instanceof SharedArrayBufferOrNone())
  const bytes = inPlace ? input : new Uint8Array(input)
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const end = bytes.length - 4
  if (crc32(bytes.subarray(0, end)) !== dv.getUint32(end, true)) throw corrupt('checksum does not match')
  const version = dv.getUint32(8, true)
  if (version !== BINARY_VERSION)
    throw new InstrumentError(
      'UNSUPPORTED_VERSION',
      `deserialize(): a binary state of format version ${version}; this release reads binary version ${BINARY_VERSION}. Read it with the release that wrote it.`,
    )
  const headerLength = dv.getUint32(12, true)
  if (16 + headerLength > end) throw corrupt(`a header of ${headerLength} bytes in ${bytes.length}`)
  let header: { format?: unknown; version?: unknown; bytes?: unknown; sections?: unknown; data?: unknown }
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(16, 16 + headerLength)))
  } catch (error) {
    throw new InstrumentError('CORRUPT_DATA', 'deserialize(): the header of a binary state is not JSON.', { cause: error })
  }
  if (typeof header !== 'object' || header === null || header.format !== SERIAL_FORMAT || header.version !== BINARY_VERSION)
    throw corrupt('a binary header of another format')
  if (header.bytes !== bytes.length) throw corrupt(`${bytes.length} bytes where the header says ${String(header.bytes)}`)
  const sections = readSections(header.sections, align8(16 + headerLength), end, bytes, 16 + headerLength)
  const used = new Uint8Array(sections.length)
  const value = decode(header.data, 2, 0, (tag) => {
    const index = tag['$section']
    if (Object.keys(tag).length !== 1 || typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= sections.length)
      throw corrupt('a malformed section reference')
    if (used[index] === 1) throw corrupt(`section ${index} used twice`)
    used[index] = 1
    const [name, offset, length] = sections[index]!
    const Ctor = TYPED[name]
    return new Ctor(bytes.buffer as ArrayBuffer, bytes.byteOffset + offset, length / Ctor.BYTES_PER_ELEMENT)
  })
  const unused = used.indexOf(0)
  if (unused >= 0) throw corrupt(`section ${unused} is not used`)
  return value
}

/** The SharedArrayBuffer constructor where the runtime has one, else a class nothing is an instance of. */
function SharedArrayBufferOrNone(): new () => object {
  return typeof SharedArrayBuffer === 'function' ? SharedArrayBuffer : (class {} as new () => object)
}

/**
 * The section table, checked: known types, whole elements, each where the last one's
 * padding ends, the last one's padding ending at the checksum, every padding byte zero.
 */
function readSections(table: unknown, from: number, end: number, bytes: Uint8Array, headerEnd: number): [TypedName, number, number][] {
  if (!Array.isArray(table)) throw corrupt('a binary header without sections')
  const zeros = (a: number, b: number, what: string): void => {
    for (let i = a; i < b; i++) if (bytes[i] !== 0) throw corrupt(`a non-zero byte in the padding after ${what}`)
  }
  zeros(headerEnd, from, 'the header')
  let at = from
  const sections = table.map((entry: unknown, i): [TypedName, number, number] => {
    if (!Array.isArray(entry) || entry.length !== 3) throw corrupt(`section ${i} is malformed`)
    const [name, offset, length] = entry as [unknown, unknown, unknown]
    if (typeof name !== 'string' || !Object.hasOwn(TYPED, name)) throw corrupt(`section ${i} has type ${JSON.stringify(name)}`)
    const size = TYPED[name as TypedName].BYTES_PER_ELEMENT
    if (!Number.isInteger(offset) || !Number.isInteger(length) || (length as number) < 0 || (length as number) % size !== 0)
      throw corrupt(`section ${i} has offset ${String(offset)} and length ${String(length)}`)
    if ((offset as number) !== at || (offset as number) + (length as number) > end) throw corrupt(`section ${i} is out of place`)
    at = align8((offset as number) + (length as number))
    zeros((offset as number) + (length as number), Math.min(at, end), `section ${i}`)
    return [name as TypedName, offset as number, length as number]
  })
  if (at !== end) throw corrupt(`${end - at} bytes between the last section and the checksum`)
  return sections
}
