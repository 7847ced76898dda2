import { beforeAll, describe, expect, test } from 'vitest'
import { type InstrumentErrorCode, type Reducer, InstrumentError, instrument, unitStats } from '../../src/index.js'
import { data, mlp, ownKeys, weightsOf } from '../helpers/models.js'
import { tf, tfl, useCpu } from '../helpers/tf.js'

beforeAll(useCpu)

function codeOf(fn: () => unknown): InstrumentErrorCode | 'no error' {
  try {
    fn()
  } catch (e) {
    expect(e).toBeInstanceOf(InstrumentError)
    expect((e as Error).message.length).toBeGreaterThan(30)
    return (e as InstrumentError).code
  }
  return 'no error'
}

async function asyncCodeOf(fn: () => Promise<unknown>): Promise<InstrumentErrorCode | 'no error'> {
  try {
    await fn()
  } catch (e) {
    expect(e).toBeInstanceOf(InstrumentError)
    return (e as InstrumentError).code
  }
  return 'no error'
}

const throwing = (after: number): Reducer<{ n: number }, number> => ({
  name: 'throwing',
  init: () => ({ n: 0 }),
  update: (s) => {
    if (++s.n > after) throw new RangeError('boom')
    return s
  },
  merge: (a, b) => ({ n: a.n + b.n }),
  result: (s) => s.n,
})

describe('bad input is a coded error and leaves the model untouched', () => {
  const cases: [string, () => unknown, InstrumentErrorCode][] = [
    ['not a model', () => instrument({} as never), 'NOT_A_MODEL'],
    ['a layer, not a model', () => instrument(tfl.layers.dense({ units: 2 }) as never), 'NOT_A_MODEL'],
    ['null', () => instrument(null as never), 'NOT_A_MODEL'],
    ['no ReLU site', () => instrument(tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [2], units: 2 })] })), 'NO_RELU_SITES'],
    [
      'a ReLU layer that was never called',
      () => {
        // tfjs builds Sequential and functional models eagerly; a custom container can hold
        // layers that were never called, whose output shape is unknown
        const model = mlp()
        const loose = tfl.layers.dense({ units: 3, activation: 'relu' })
        return instrument({ ...model, layers: [loose], predict: model.predict, getLayer: model.getLayer } as never)
      },
      'MODEL_NOT_BUILT',
    ],
  ]
  test.each(cases)('%s', (_name, fn, code) => expect(codeOf(fn)).toBe(code))

  const modelCases: [string, Parameters<typeof instrument>[1], InstrumentErrorCode][] = [
    ['bad granularity', { granularity: 'pixel' as never }, 'INVALID_OPTION'],
    ['bad passes', { passes: 'train' as never }, 'INVALID_OPTION'],
    ['bad every', { every: 0 }, 'INVALID_OPTION'],
    ['fractional every', { every: 1.5 }, 'INVALID_OPTION'],
    ['unknown site id', { sites: ['nope'] }, 'UNKNOWN_SITE'],
    ['reducer factory not called', { reducers: { u: unitStats as never } }, 'INVALID_REDUCER'],
    ['reducer without merge', { reducers: { u: { name: 'x', init() {}, update() {}, result() {} } as never } }, 'INVALID_REDUCER'],
    ['reducers not an object', { reducers: 3 as never }, 'INVALID_OPTION'],
  ]
  test.each(modelCases)('%s', (_name, options, code) => {
    const model = mlp()
    const keys = ownKeys(model)
    expect(codeOf(() => instrument(model, options))).toBe(code)
    expect(ownKeys(model)).toEqual(keys)
    // the model is not marked as instrumented either
    instrument(model).dispose()
  })

  test('allowEmpty instruments a model without sites', () => {
    const probe = instrument(tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [2], units: 2 })] }), { allowEmpty: true })
    expect(probe.sites).toEqual([])
    expect(probe.results()).toEqual({})
    probe.dispose()
  })

  test('a site predicate selects sites', () => {
    const model = mlp()
    const probe = instrument(model, { sites: (s) => s.units === 33 })
    expect(probe.sites.map((s) => s.units)).toEqual([33])
    probe.dispose()
  })
})

describe('instrumenting twice', () => {
  test('the same model', () => {
    const model = mlp()
    const probe = instrument(model)
    const keys = ownKeys(model)
    expect(codeOf(() => instrument(model))).toBe('ALREADY_INSTRUMENTED')
    expect(ownKeys(model)).toEqual(keys)
    probe.dispose()
  })

  test('a nested model already instrumented on its own', () => {
    const inner = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [3], units: 4, activation: 'relu' })] })
    const input = tfl.input({ shape: [3] })
    const outer = tfl.model({ inputs: input, outputs: inner.apply(input) as never })
    const probe = instrument(inner)
    expect(codeOf(() => instrument(outer))).toBe('ALREADY_INSTRUMENTED')
    probe.dispose()
    instrument(outer).dispose()
  })
})

describe('use after dispose', () => {
  test('every method but dispose throws DISPOSED', async () => {
    const probe = instrument(mlp())
    probe.dispose()
    expect(codeOf(() => probe.results())).toBe('DISPOSED')
    expect(codeOf(() => probe.states())).toBe('DISPOSED')
    expect(codeOf(() => probe.counters())).toBe('DISPOSED')
    expect(codeOf(() => probe.reset())).toBe('DISPOSED')
    expect(await asyncCodeOf(() => probe.measure(tf.zeros([1, 12])))).toBe('DISPOSED')
    expect(() => probe.dispose()).not.toThrow()
  })
})

describe('a reducer that throws', () => {
  test('training completes unchanged; the error surfaces with the reducer name and cause', async () => {
    const { xs, ys } = data(32)
    const plain = mlp(7)
    await plain.fit(xs, ys, { epochs: 2, batchSize: 8, shuffle: false, verbose: 0 })

    const model = mlp(7)
    const seen: InstrumentError[] = []
    const start = tf.memory().numTensors
    const probe = instrument(model, { reducers: { ok: unitStats(), bad: throwing(2) }, onError: (e) => seen.push(e) })
    await model.fit(xs, ys, { epochs: 2, batchSize: 8, shuffle: false, verbose: 0 })
    expect(weightsOf(model)).toEqual(weightsOf(plain))
    expect(seen).toHaveLength(1)
    let caught: unknown
    try {
      probe.results()
    } catch (e) {
      caught = e
    }
    expect(caught).toBeInstanceOf(InstrumentError)
    const err = caught as InstrumentError
    expect(err.code).toBe('REDUCER_FAILED')
    expect(err.reducer).toBe('bad')
    expect(err.site).toBe(probe.sites[0]!.id)
    expect(err.cause).toBeInstanceOf(RangeError)
    expect(err.message).toContain('"bad"')
    expect(err).toBe(seen[0])
    probe.reset()
    expect(probe.results()[probe.sites[0]!.id]!.ok.rows).toBe(0)
    probe.dispose()
    expect(tf.memory().numTensors).toBe(start)
    tf.dispose([xs, ys])
  })

  test('in measure, the error is thrown by measure and accumulated state stays usable', async () => {
    const model = mlp()
    const { xs } = data(8)
    const probe = instrument(model, { reducers: { bad: throwing(1) } })
    expect(await asyncCodeOf(() => probe.measure(xs, { batchSize: 2 }))).toBe('REDUCER_FAILED')
    expect(probe.results()[probe.sites[0]!.id]!.bad).toBe(0)
    expect(await asyncCodeOf(() => probe.measure(xs, { batchSize: 0 }))).toBe('INVALID_OPTION')
    expect(await asyncCodeOf(() => probe.measure([1, 2] as never))).toBe('INVALID_INPUT')
    probe.dispose()
    xs.dispose()
  })
})

describe('a failing read', () => {
  test('is RECORD_FAILED with the cause; the forward pass completes; reset() records again', () => {
    const model = mlp()
    const { xs } = data(4)
    const probe = instrument(model)
    const proto = Object.getPrototypeOf(xs) as { dataSync: () => unknown }
    const original = proto.dataSync
    proto.dataSync = () => {
      throw new Error('device lost')
    }
    let out: tf.Tensor | undefined
    try {
      out = model.predict(xs) as tf.Tensor
    } finally {
      proto.dataSync = original
    }
    expect(out.shape).toEqual([4, 3])
    expect(codeOf(() => probe.results())).toBe('RECORD_FAILED')
    try {
      probe.results()
    } catch (e) {
      expect((e as InstrumentError).cause).toEqual(new Error('device lost'))
      expect((e as InstrumentError).site).toBe(probe.sites[0]!.id)
    }
    probe.reset()
    tf.dispose(model.predict(xs))
    expect(probe.results()[probe.sites[0]!.id]!.units.rows).toBe(4)
    probe.dispose()
    tf.dispose([xs, out])
  })
})

describe('non-finite activations', () => {
  test('NaN and Infinity are counted, not thrown on; NaN is off and +Infinity on', async () => {
    const model = tfl.sequential({ layers: [tfl.layers.reLU({ inputShape: [4] })] })
    const probe = instrument(model)
    const x = tf.tensor2d([
      [Number.NaN, Infinity, -Infinity, 1],
      [0, 2, Number.NaN, -1],
    ])
    const r = (await probe.measure(x))[probe.sites[0]!.id]!
    expect(r.units.nonFinite).toBe(3) // relu(-Infinity) = 0 is finite
    expect(Array.from(r.units.frequency)).toEqual([0, 1, 0, 0.5])
    expect(r.patterns.distinct).toBe(2)
    tf.dispose(model.predict(x))
    expect(probe.counters()[probe.sites[0]!.id]!.nonFinite).toBe(3)
    probe.dispose()
    x.dispose()
  })
})
