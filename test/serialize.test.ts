import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { type AnyReducer, deserialize, hamming, layoutOf, patternHistogram, serialize, unitStats } from '../src/index.js'
import { fingerprint, fingerprintAdd, fingerprintHex } from '../src/bits/fingerprint.js'
import { batchOf, boolRows } from './helpers/batches.js'

describe('serialize / deserialize', () => {
  test('round-trips every built-in state; a deserialised state merges and gives the same result', () => {
    const reducers: AnyReducer[] = [unitStats(), patternHistogram(), hamming()]
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 70 })
          .chain((u) =>
            fc.tuple(fc.constant(u), boolRows(u, 60), fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 60, maxLength: 60 })),
          ),
        ([units, rows, labels]) => {
          for (const r of reducers) {
            const s = r.update(r.init(layoutOf(units)), batchOf(rows, units, rows.length === 0 ? 0 : 1, labels.slice(0, rows.length)))
            const back = deserialize(serialize(s))
            expect(back).toEqual(s)
            expect(r.result(r.merge(back, r.init(layoutOf(units))))).toEqual(r.result(s))
            expect(r.result(structuredClone(s))).toEqual(r.result(s))
          }
        },
      ),
    )
  })

  test('keeps NaN, Infinity, nested arrays and every typed array type', () => {
    const value = {
      a: [1, Number.NaN, -Infinity, Infinity, -0.5],
      t: [
        new Uint8Array([1, 2, 3]),
        new Int32Array([-1, 5]),
        new Uint32Array([2 ** 32 - 1]),
        new Float32Array([0.1]),
        new Float64Array([Math.PI]),
      ],
      n: null,
      s: 'x"y',
      b: false,
      sub: new Float64Array(new Float64Array([1, 2, 3]).buffer, 8, 2),
    }
    expect(deserialize(serialize(value))).toEqual(value)
  })

  test('damaged text is CORRUPT_DATA; another version is UNSUPPORTED_VERSION', () => {
    const text = serialize({ counts: new Float64Array([1, 2, 3]), rows: 6 })
    const flip = text.replace('"rows":6', '"rows":7')
    expect(() => deserialize(flip)).toThrow(expect.objectContaining({ code: 'CORRUPT_DATA' }))
    expect(() => deserialize(text.slice(0, -3))).toThrow(expect.objectContaining({ code: 'CORRUPT_DATA' }))
    expect(() => deserialize('{"rows": 6}')).toThrow(expect.objectContaining({ code: 'CORRUPT_DATA' }))
    expect(() => deserialize(3 as never)).toThrow(expect.objectContaining({ code: 'CORRUPT_DATA' }))
    expect(() => deserialize(text.replace('"version":2', '"version":3'))).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_VERSION' }))
  })

  test('refuses what is not plain data', () => {
    expect(() => serialize({ m: new Map() })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
    expect(() => serialize({ f: () => 1 })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
  })
})

describe('user data reads back exactly, whatever its keys and numbers', () => {
  test('keys that look like our tags, __proto__, -0', () => {
    const value = JSON.parse('{"__proto__": {"x": 1}, "ok": 2}') as Record<string, unknown>
    Object.assign(value, {
      tagged: { $number: 'Infinity' },
      typed: { $typed: 'Uint8Array', base64: 'AAAA' },
      dollars: { $$x: 1, $: 2, a$: 3 },
      zero: -0,
      list: [-0, 0],
    })
    const back = deserialize(serialize(value)) as Record<string, unknown>
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype)
    expect(Object.hasOwn(back, '__proto__')).toBe(true)
    expect(Object.getOwnPropertyDescriptor(back, '__proto__')!.value).toEqual({ x: 1 })
    expect(back['tagged']).toEqual({ $number: 'Infinity' })
    expect(back['typed']).toEqual({ $typed: 'Uint8Array', base64: 'AAAA' })
    expect(back['dollars']).toEqual({ $$x: 1, $: 2, a$: 3 })
    expect(Object.is(back['zero'], -0)).toBe(true)
    expect(Object.is((back['list'] as number[])[0], -0)).toBe(true)
    expect(Object.is((back['list'] as number[])[1], 0)).toBe(true)
  })

  test('a forged __proto__ key never sets a prototype', () => {
    // version 1 had no key escaping; a crafted text of either version
    for (const version of [1, 2]) {
      const forged = rewrite(serialize({ a: 1 }), () => '{"__proto__":{"polluted":true}}', version)
      const back = deserialize(forged) as Record<string, unknown>
      expect(Object.getPrototypeOf(back)).toBe(Object.prototype)
      expect((back as { polluted?: boolean }).polluted).toBeUndefined()
      expect(({} as { polluted?: boolean }).polluted).toBeUndefined()
    }
  })

  test('cycles, invalid base64, other tags and deep nesting are coded errors', () => {
    const cyclic: Record<string, unknown> = { a: 1 }
    cyclic['self'] = cyclic
    expect(() => serialize(cyclic)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
    expect(() => serialize([new BigInt64Array(1)])).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
    expect(() => serialize(undefined)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
    let deep: unknown = 1
    for (let i = 0; i < 2000; i++) deep = [deep]
    expect(() => serialize(deep)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
    const shared = { x: 1 }
    expect(deserialize(serialize({ a: shared, b: shared }))).toEqual({ a: { x: 1 }, b: { x: 1 } })
    const withTyped = serialize({ t: new Uint8Array([1, 2, 3]) })
    const badBase64 = rewrite(withTyped, (d) => d.replace(/"base64":"[^"]*"/, '"base64":"@@@"'))
    expect(() => deserialize(badBase64)).toThrow(expect.objectContaining({ code: 'CORRUPT_DATA' }))
    expect(() => deserialize(rewrite(withTyped, () => '{"$other":1}'))).toThrow(expect.objectContaining({ code: 'CORRUPT_DATA' }))
    expect(() => deserialize(rewrite(withTyped, () => '{"$number":"12"}'))).toThrow(expect.objectContaining({ code: 'CORRUPT_DATA' }))
    expect(() => deserialize(rewrite(withTyped, () => `${'['.repeat(5000)}${']'.repeat(5000)}`))).toThrow(
      expect.objectContaining({ code: 'CORRUPT_DATA' }),
    )
  })
})

/** The same text with its data part changed and a valid checksum (what a crafted file has). */
function rewrite(text: string, change: (data: string) => string, version?: number): string {
  const head = /^\{"format":"relu-patterns","version":(\d+),"checksum":"[^"]*","data":/.exec(text)!
  const data = change(text.slice(head[0].length, -1))
  const f = fingerprint()
  const codes = new Uint32Array(data.length)
  for (let i = 0; i < data.length; i++) codes[i] = data.charCodeAt(i)
  fingerprintAdd(f, codes)
  return `{"format":"relu-patterns","version":${version ?? head[1]},"checksum":"${fingerprintHex(f)}","data":${data}}`
}

test('what serialize cannot give back exactly is refused: sparse arrays, undefined in an array; an undefined property is left out, as documented', () => {
  // eslint-disable-next-line no-sparse-arrays
  // biome-ignore lint/suspicious/noSparseArray: the sparse array is what is tested
  expect(() => serialize({ a: [1, , 3] })).toThrow(
    expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringContaining('sparse array') }),
  )
  expect(() => serialize([undefined])).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
  expect(deserialize(serialize({ u: undefined, v: 1 }))).toEqual({ v: 1 })
})
