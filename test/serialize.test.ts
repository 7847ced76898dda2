import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { type AnyReducer, deserialize, hamming, layoutOf, patternHistogram, serialize, unitStats } from '../src/index.js'
import { batchOf, boolRows } from './helpers/batches.js'

describe('serialize / deserialize', () => {
  test('round-trips every built-in state; a deserialised state merges and gives the same result', () => {
    const reducers: AnyReducer[] = [unitStats(), patternHistogram(), hamming()]
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 70 }).chain((u) => fc.tuple(fc.constant(u), boolRows(u, 60), fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 60, maxLength: 60 }))), ([units, rows, labels]) => {
        for (const r of reducers) {
          const s = r.update(r.init(layoutOf(units)), batchOf(rows, units, 1, labels.slice(0, rows.length)))
          const back = deserialize(serialize(s))
          expect(back).toEqual(s)
          expect(r.result(r.merge(back, r.init(layoutOf(units))))).toEqual(r.result(s))
          expect(r.result(structuredClone(s))).toEqual(r.result(s))
        }
      }),
    )
  })

  test('keeps NaN, Infinity, nested arrays and every typed array type', () => {
    const value = {
      a: [1, Number.NaN, -Infinity, Infinity, -0.5],
      t: [new Uint8Array([1, 2, 3]), new Int32Array([-1, 5]), new Uint32Array([2 ** 32 - 1]), new Float32Array([0.1]), new Float64Array([Math.PI])],
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
