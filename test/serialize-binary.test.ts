import { execFileSync } from 'node:child_process'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { crc32 } from '../src/bits/crc32.js'
import {
  type AnyReducer,
  deserialize,
  hamming,
  layoutOf,
  patternHistogram,
  serialize,
  serializeBinary,
  serializeBinaryParts,
  unitStats,
} from '../src/index.js'
import { batchOf, boolRows } from './helpers/batches.js'

const corrupt = expect.objectContaining({ code: 'CORRUPT_DATA' })

/** The header of a binary state, as JSON, and where its sections start. */
function headerOf(bytes: Uint8Array): { header: Record<string, unknown>; length: number } {
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(12, true)
  return { header: JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + length))), length }
}

/** The same bytes with another header (same length, padded with spaces) and a valid checksum: a crafted file. */
function withHeader(bytes: Uint8Array, edit: (h: Record<string, unknown>) => void): Uint8Array {
  const { header, length } = headerOf(bytes)
  edit(header)
  const text = new TextEncoder().encode(JSON.stringify(header))
  if (text.length > length) throw new Error('crafted header too long for the test')
  const out = bytes.slice()
  out.fill(0x20, 16, 16 + length)
  out.set(text, 16)
  new DataView(out.buffer).setUint32(out.length - 4, crc32(out.subarray(0, out.length - 4)), true)
  return out
}

describe('the binary form (version 3)', () => {
  test('CRC-32 is zlib\'s: the check value of "123456789" and of long inputs chunked any way', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926)
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.nat(100), (bytes, cut) => {
        const at = Math.min(cut, bytes.length)
        expect(crc32(bytes.subarray(at), crc32(bytes.subarray(0, at)))).toBe(crc32(bytes))
      }),
    )
    // against Python's zlib.crc32, an independent implementation
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 31 + 7) & 0xff)
    const python = execFileSync('python3', ['-c', 'import sys, zlib; print(zlib.crc32(bytes((i * 31 + 7) & 255 for i in range(1000))))'], {
      encoding: 'utf8',
    })
    expect(crc32(bytes)).toBe(Number(python.trim()))
  })

  test('every built-in state reads back equal, from bytes, a Buffer, an ArrayBuffer or bytes off alignment', () => {
    const reducers: AnyReducer[] = [unitStats(), patternHistogram(), hamming()]
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 70 }).chain((u) => fc.tuple(fc.constant(u), boolRows(u, 40))),
        ([units, rows]) => {
          for (const r of reducers) {
            const s = r.update(r.init(layoutOf(units)), batchOf(rows, units, rows.length === 0 ? 0 : 1))
            const bytes = serializeBinary(s)
            expect(deserialize(bytes)).toEqual(s)
            expect(deserialize(bytes.buffer as ArrayBuffer)).toEqual(s)
            expect(deserialize(Buffer.from(bytes))).toEqual(s)
            const shifted = new Uint8Array(bytes.length + 3)
            shifted.set(bytes, 3)
            expect(deserialize(shifted.subarray(3))).toEqual(s)
            expect(r.result(r.merge(deserialize(bytes), r.init(layoutOf(units))))).toEqual(r.result(s))
          }
        },
      ),
      { numRuns: 40 },
    )
  })

  test("bytes off an 8-byte boundary, inside a larger buffer or from Node's pool are copied once, and read the same", () => {
    const value = { a: new Float64Array([1, 2, 3]), b: new Uint32Array([7]) }
    const bytes = serializeBinary(value)
    // a framed Buffer: one byte in front
    const framed = Buffer.concat([Buffer.alloc(1), Buffer.from(bytes)]).subarray(1)
    expect(framed.byteOffset % 8).not.toBe(0)
    expect(deserialize(framed)).toEqual(value)
    // a small Buffer in Node's shared pool: not a view of the pool, a copy
    const pooled = Buffer.from(bytes)
    const back = deserialize(pooled) as typeof value
    expect(back).toEqual(value)
    if (pooled.buffer.byteLength > 2 * pooled.byteLength) expect(back.a.buffer).not.toBe(pooled.buffer)
    // an ArrayBuffer of JSON text reads as the text does
    expect(deserialize(new TextEncoder().encode(serialize(value)).buffer as ArrayBuffer)).toEqual(value)
  })

  test('many sections, whose offsets lengthen the header as they grow, lay out and read back', () => {
    const value = Array.from({ length: 3000 }, (_, i) => new Uint8Array(i % 13).fill(i & 0xff))
    expect(deserialize(serializeBinary(value))).toEqual(value)
  })

  test('the parts are the bytes; sections are 8-byte aligned views of the state; JSON text read as bytes still reads', () => {
    const value = { t: [new Uint8Array([1, 2, 3]), new Float64Array([Math.PI, Number.NaN]), new Int16Array([-2])], n: -0, s: '$x', $k: 1 }
    const bytes = serializeBinary(value)
    const parts = serializeBinaryParts(value)
    expect(Buffer.concat(parts)).toEqual(Buffer.from(bytes))
    expect(parts.some((p) => p.buffer === value.t[1]!.buffer)).toBe(true)
    const back = deserialize(bytes) as typeof value
    expect(back).toEqual(value)
    expect(Object.is(back.n, -0)).toBe(true)
    for (const t of back.t) expect(t.buffer).toBe(bytes.buffer) // read in place
    const { header } = headerOf(bytes)
    for (const [, offset] of header['sections'] as [string, number, number][]) expect(offset % 8).toBe(0)
    expect(header['bytes']).toBe(bytes.length)
    expect(deserialize(new TextEncoder().encode(serialize(value)))).toEqual(value)
  })

  test('damage anywhere is CORRUPT_DATA; another version is UNSUPPORTED_VERSION; crafted layouts are refused', () => {
    const h = patternHistogram()
    const s = h.update(
      h.init(layoutOf(40)),
      batchOf(
        Array.from({ length: 30 }, (_, i) => Array.from({ length: 40 }, (_, u) => (i * u) % 3 === 0)),
        40,
      ),
    )
    const bytes = serializeBinary(s)
    for (let i = 0; i < bytes.length; i += 7) {
      const hurt = bytes.slice()
      hurt[i]! ^= 0x10
      expect(() => deserialize(hurt), `byte ${i}`).toThrow(
        i < 8 ? corrupt : expect.objectContaining({ code: expect.stringMatching(/CORRUPT_DATA|UNSUPPORTED_VERSION/) }),
      )
    }
    expect(() => deserialize(bytes.subarray(0, bytes.length - 1))).toThrow(corrupt)
    expect(() => deserialize(new Uint8Array(0))).toThrow(corrupt)
    const v4 = bytes.slice()
    new DataView(v4.buffer).setUint32(8, 4, true)
    new DataView(v4.buffer).setUint32(v4.length - 4, crc32(v4.subarray(0, v4.length - 4)), true)
    expect(() => deserialize(v4)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_VERSION' }))
    type Sections = [string, number, number][]
    const crafted: [string, (h: Record<string, unknown>) => void][] = [
      [
        'a section used twice',
        (hd) =>
          ((hd['data'] as { table: { hashes: unknown; keys: unknown } }).table.hashes = (
            hd['data'] as { table: { keys: unknown } }
          ).table.keys),
      ],
      ['a section out of place', (hd) => ((hd['sections'] as Sections)[1]![1] += 8)],
      ['a section past the end', (hd) => ((hd['sections'] as Sections).at(-1)![2] += 8)],
      ['a length in half elements', (hd) => ((hd['sections'] as Sections).find((x) => x[0] === 'Float64Array')![2] -= 4)],
      ['an unknown type', (hd) => ((hd['sections'] as Sections)[0]![0] = 'Object')],
      ['a wrong total', (hd) => (hd['bytes'] = 8)],
    ]
    for (const [what, edit] of crafted) expect(() => deserialize(withHeader(bytes, edit)), what).toThrow(corrupt)
    // a section no value uses, bytes between the last section and the checksum, padding that is not zero
    const resealed = (b: Uint8Array): Uint8Array => {
      new DataView(b.buffer, b.byteOffset).setUint32(b.length - 4, crc32(b.subarray(0, b.length - 4)), true)
      return b
    }
    const unused = withHeader(bytes, (hd) => ((hd['data'] as { table: { hashes: unknown } }).table.hashes = 0))
    expect(() => deserialize(unused)).toThrow(
      expect.objectContaining({ code: 'CORRUPT_DATA', message: expect.stringContaining('is not used') }),
    )
    const longer = new Uint8Array(bytes.length + 8)
    longer.set(bytes.subarray(0, bytes.length - 4))
    expect(() => deserialize(resealed(withHeader(longer, (hd) => (hd['bytes'] = longer.length))))).toThrow(
      expect.objectContaining({ code: 'CORRUPT_DATA', message: expect.stringContaining('between the last section and the checksum') }),
    )
    const { header: h0, length: hl } = headerOf(bytes)
    const firstPad = 16 + hl
    const sections = h0['sections'] as Sections
    const padAt = firstPad < sections[0]![1] ? firstPad : sections.map(([, o, l]) => o + l).find((e) => e % 8 !== 0)
    if (padAt !== undefined) {
      const padded = bytes.slice()
      padded[padAt] = 1
      expect(() => deserialize(resealed(padded))).toThrow(
        expect.objectContaining({ code: 'CORRUPT_DATA', message: expect.stringContaining('padding') }),
      )
    }
    // a table's keys retyped: no longer a table's shape, so read as data, and refused where it is used as a state
    const retyped = deserialize(
      withHeader(bytes, (hd) => ((hd['sections'] as Sections).find((x) => x[0] === 'Uint32Array')![0] = 'Int32Array')),
    )
    expect(() => h.result(retyped as typeof s)).toThrow(corrupt)
    // a consistent header over damaged counts: the pattern table's own checks refuse it
    const { header } = headerOf(bytes)
    const counts = (header['sections'] as Sections).findIndex((x) => x[0] === 'Float64Array')
    const [, at] = (header['sections'] as Sections)[counts]!
    const dup = bytes.slice()
    new DataView(dup.buffer).setFloat64(at, 0.5, true)
    new DataView(dup.buffer).setUint32(dup.length - 4, crc32(dup.subarray(0, dup.length - 4)), true)
    expect(() => deserialize(dup)).toThrow(corrupt)
  })
})
