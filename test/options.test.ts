import { describe, expect, test } from 'vitest'
import {
  type Declaration,
  boolean,
  bytes,
  check,
  declareOptions,
  either,
  fn,
  integer,
  number,
  oneOf,
  string,
  strings,
} from '../src/options.js'
import { INSTRUMENT_OPTIONS, MEASURE_OPTIONS, MEASURE_PATTERNS_OPTIONS } from '../src/instrument/options.js'

interface O {
  size?: number
  mode?: 'a' | 'b'
  name?: string
  every?: { batches: number }
}
const DECL = /* @__PURE__ */ declareOptions(
  'f(options)',
  () =>
    ({
      size: { check: integer(1), default: 8 },
      mode: { check: oneOf(['a', 'b']) },
      name: { check: string },
      every: {
        check: check(
          '{ batches: k }',
          (v) => typeof v === 'object' && v !== null && Number.isInteger((v as { batches?: unknown }).batches),
          ['batches'],
        ),
      },
    }) satisfies Declaration<O>,
)

describe('declared options', () => {
  test('defaults fill what is not given; given values come back as they are', () => {
    expect(DECL.parse(undefined)).toEqual({ size: 8, mode: undefined, name: undefined, every: undefined })
    expect(DECL.parse({ size: 3, mode: 'b' })).toEqual({ size: 3, mode: 'b', name: undefined, every: undefined })
    expect(DECL.keys).toEqual(['size', 'mode', 'name', 'every'])
  })

  test('every invalid value has one message form: call, key, what it must be, what it was', () => {
    expect(() => DECL.parse({ size: 0 })).toThrow('f(options): size must be a positive integer, not 0.')
    expect(() => DECL.parse({ mode: 'c' })).toThrow(`f(options): mode must be 'a' or 'b', not "c".`)
    expect(() => DECL.parse({ name: 3 }, 'g(x, options)')).toThrow('g(x, options): name must be a string, not 3.')
    expect(() => DECL.parse({ every: {} })).toThrow('f(options): every must be { batches: k }, not an object.')
  })

  test('unknown keys are named with the nearest known one, at the top level and inside object values', () => {
    expect(() => DECL.parse({ sise: 3 })).toThrow(/unknown option "sise"\. Did you mean "size"\?/)
    expect(() => DECL.parse({ every: { batch: 3 } })).toThrow(/f\(options\): every: unknown option "batch"\. Did you mean "batches"\?/)
    expect(() =>
      /* @__PURE__ */ declareOptions('f(options)', () => DECL.fields satisfies Declaration<O>, { required: true }).parse(undefined),
    ).toThrow(/takes an options object, not undefined/)
  })

  test('each check accepts exactly what it says', () => {
    const cases: [{ test: (v: unknown) => boolean }, unknown[], unknown[]][] = [
      [integer(1, 3), [1, 2, 3], [0, 4, 1.5, '2', Number.NaN]],
      [number(0, Infinity, true), [1e-9, 5], [0, -1, Infinity, Number.NaN, '1']],
      [number(), [-3, 0, 2.5], [Infinity, Number.NaN]],
      [bytes, [1, Infinity], [0, -1, Number.NaN, '1']],
      [boolean, [true, false], [0, 'true', undefined]],
      [strings, [[], ['a']], [[1], 'a']],
      [fn(), [() => 0], [{}, 'f']],
      [either(boolean, fn()), [true, () => 0], [1]],
    ]
    for (const [c, good, bad] of cases) {
      for (const v of good) expect(c.test(v), String(v)).toBe(true)
      for (const v of bad) expect(c.test(v), String(v)).toBe(false)
    }
  })

  test("the library's own declarations list their interfaces' keys", () => {
    expect([...MEASURE_OPTIONS.keys].sort()).toEqual(['batchSize', 'labels', 'training'])
    expect([...MEASURE_PATTERNS_OPTIONS.keys].sort()).toEqual(['batchSize', 'labels', 'output', 'predictions', 'training', 'values'])
    expect(INSTRUMENT_OPTIONS.keys).toContain('onError')
  })
})

test('a misspelt share is named, and hammingMatrix takes Infinity for no row cap, as before', async () => {
  const { compareHistograms, hammingMatrix } = await import('../src/index.js')
  expect(() => compareHistograms({} as never, {} as never, { threshold: { shares: 0.1 } } as never)).toThrow(
    /unknown option "shares"\. Did you mean "share"\?/,
  )
  expect(hammingMatrix({ words: new Uint32Array(2), rows: 2, units: 3, wordsPerRow: 1 }, { maxRows: Infinity }).rows).toBe(2)
})
