import fc from 'fast-check'
import { beforeAll, describe, expect, test } from 'vitest'
import {
  InstrumentError,
  Timeline,
  compare,
  compareHistograms,
  hamming,
  hammingMatrix,
  instrument,
  layoutOf,
  patternHistogram,
  splitBy,
  trainingCallback,
  unitStats,
  windowed,
} from '../src/index.js'
import { closest } from '../src/keys.js'
import { batchOf } from './helpers/batches.js'
import { mlp } from './helpers/models.js'
import { tf, useCpu } from './helpers/tf.js'

beforeAll(useCpu)

function rejected(fn: () => unknown): InstrumentError {
  try {
    fn()
  } catch (e) {
    expect(e).toBeInstanceOf(InstrumentError)
    return e as InstrumentError
  }
  throw new Error('expected an InstrumentError, got none')
}

describe('unknown option keys are INVALID_OPTION, naming the key and the closest valid one', () => {
  const h = patternHistogram()
  const state = h.init(layoutOf(3))
  const cases: [string, (probe: ReturnType<typeof instrument>) => unknown, string, string | null][] = [
    ['instrument', () => instrument(mlp(), { pass: 'training' } as never), 'pass', 'passes'],
    ['instrument reducers typo', () => instrument(mlp(), { reducer: { u: unitStats() } } as never), 'reducer', 'reducers'],
    ['measure', (p) => p.measure(tf.ones([2, 12]), { label: [1, 2] } as never), 'label', 'labels'],
    ['measure batch size', (p) => p.measure(tf.ones([2, 12]), { batchsize: 2 } as never), 'batchsize', 'batchSize'],
    ['trainingCallback', (p) => trainingCallback(p, { every: { batches: 1 }, snapshot: true, keeep: 'results' } as never), 'keeep', 'keep'],
    ['trainingCallback cadence', (p) => trainingCallback(p, { every: { batch: 1 }, snapshot: true } as never), 'batch', 'batches'],
    ['patternHistogram', () => patternHistogram({ maxByte: 10 } as never), 'maxByte', 'maxBytes'],
    ['hamming', () => hamming({ pair: 'all' } as never), 'pair', 'pairs'],
    ['windowed', () => windowed(unitStats(), { batch: 3 } as never), 'batch', 'batches'],
    ['Timeline', () => new Timeline({ kep: 'results' } as never), 'kep', 'keep'],
    ['compareHistograms', () => compareHistograms(state, state, { treshold: 3 } as never), 'treshold', 'threshold'],
    [
      'hammingMatrix',
      () => hammingMatrix({ words: new Uint32Array(0), rows: 0, units: 3, wordsPerRow: 1 }, { maxrows: 3 } as never),
      'maxrows',
      'maxRows',
    ],
    ['timeline.series', () => new Timeline().series({ againts: ['first'] } as never), 'againts', 'against'],
    [
      'compare',
      () => compare({ kind: 'measurement' } as never, { kind: 'measurement' } as never, { threshhold: 1 } as never),
      'threshhold',
      'threshold',
    ],
  ]
  test.each(cases)('%s', async (_name, call, key, near) => {
    const probe = instrument(mlp())
    let error: unknown
    try {
      await call(probe)
    } catch (e) {
      error = e
    }
    probe.dispose()
    expect(error).toBeInstanceOf(InstrumentError)
    expect((error as InstrumentError).code).toBe('INVALID_OPTION')
    expect((error as Error).message).toContain(`"${key}"`)
    if (near !== null) expect((error as Error).message).toContain(`Did you mean "${near}"`)
  })

  test('options are checked where they are given: trainingCallback fails at the call, not when fit starts', () => {
    const probe = instrument(mlp())
    const x = tf.ones([2, 12])
    for (const bad of [
      { every: { batches: 1 }, measure: x, batchSize: 0 },
      { every: { batches: 1 }, measure: x, stepsPerEpoch: -1 },
      { every: { batches: 1 }, measure: x, labels: null },
      { every: { batches: 1 }, measure: x, keep: 'everything' },
      { every: { batches: 1 }, measure: [] },
      { every: { epochs: Number.POSITIVE_INFINITY }, snapshot: true },
    ]) {
      expect(() => trainingCallback(probe, bad as never)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
    }
    x.dispose()
    probe.dispose()
  })

  test('null or non-object options are INVALID_OPTION', async () => {
    const probe = instrument(mlp())
    const x = tf.ones([2, 12])
    await expect(probe.measure(x, null as never)).rejects.toMatchObject({ code: 'INVALID_OPTION' })
    await expect(probe.measure(x, { labels: null } as never)).rejects.toMatchObject({ code: 'INVALID_OPTION' })
    expect(rejected(() => instrument(mlp(), null as never)).code).toBe('INVALID_OPTION')
    expect(rejected(() => patternHistogram(3 as never)).code).toBe('INVALID_OPTION')
    x.dispose()
    probe.dispose()
  })

  test('closest() suggests only plausible keys', () => {
    expect(closest('pass', ['passes', 'every'])).toBe('passes')
    expect(closest('zzzzzz', ['passes', 'every'])).toBeNull()
    fc.assert(
      fc.property(
        fc.constantFrom('reducers', 'granularity', 'saturation', 'allowEmpty'),
        (k) => closest(k, ['reducers', 'granularity', 'saturation', 'allowEmpty']) === k,
      ),
    )
  })
})

describe('user strings as keys never reach a prototype', () => {
  test('splitBy with a key named __proto__ keeps it as a group and leaves Object.prototype alone', () => {
    const byName = splitBy(unitStats(), 'label')
    // a key function returning a string that names the prototype
    const proto = splitBy(unitStats(), (() => '__proto__') as never)
    let p = proto.init(layoutOf(3))
    p = proto.update(
      p,
      batchOf(
        [
          [true, false, true],
          [false, false, true],
        ],
        3,
      ),
    )
    expect(Object.keys(p.groups)).toEqual(['__proto__'])
    expect(Object.getPrototypeOf(p.groups)).toBe(Object.prototype)
    expect(proto.result(p)['__proto__']!.rows).toBe(2)
    expect(proto.result(proto.merge(p, p))['__proto__']!.rows).toBe(4)
    expect(({} as Record<string, unknown>)['rows']).toBeUndefined()
    expect(byName.result(byName.init(layoutOf(3)))).toEqual({})
  })

  test('a reducer named __proto__ (a computed key) is recorded like any other; a literal __proto__ is refused', async () => {
    const model = mlp()
    const probe = instrument(model, { reducers: { ['__proto__']: unitStats(), other: unitStats() } as never })
    const x = tf.ones([2, 12])
    const r = (await probe.measure(x))[probe.sites[0]!.id] as unknown as Record<string, { rows: number }>
    expect(Object.keys(r)).toEqual(['__proto__', 'other'])
    expect(Object.hasOwn(r, '__proto__')).toBe(true)
    expect(r['__proto__']!.rows).toBe(2)
    probe.dispose()
    // eslint-disable-next-line no-proto
    expect(rejected(() => instrument(model, { reducers: { __proto__: unitStats() } as never })).code).toBe('INVALID_OPTION')
    x.dispose()
  })
})
