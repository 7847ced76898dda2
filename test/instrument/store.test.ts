import { beforeAll, describe, expect, test } from 'vitest'
import { type InstrumentError, type Reducer, compareHistograms, derive, instrument, patternHistogram, unitStats } from '../../src/index.js'
import { data, mlp } from '../helpers/models.js'
import { tf, useCpu } from '../helpers/tf.js'

beforeAll(useCpu)

const throwingIn = (method: 'init' | 'update' | 'result'): Reducer<{ n: number }, number> => ({
  name: 'throwing',
  init: () => {
    if (method === 'init') throw new RangeError('init boom')
    return { n: 0 }
  },
  update: (s) => {
    if (method === 'update') throw new RangeError('update boom')
    return { n: s.n + 1 }
  },
  merge: (a, b) => ({ n: a.n + b.n }),
  result: (s) => {
    if (method === 'result') throw new RangeError('result boom')
    return s.n
  },
})

describe('states() are snapshots', () => {
  test('a saved state does not change with later recording, and compares as different', () => {
    const model = mlp()
    const probe = instrument(model, { reducers: { h: patternHistogram(), u: unitStats() } })
    const id = probe.sites[0]!.id
    tf.dispose(model.predict(tf.randomNormal([20, 12], 0, 1, 'float32', 1)) as tf.Tensor)
    const saved = probe.states()[id]!
    const rowsBefore = saved.h.rows
    const onBefore = saved.u.on.slice()
    tf.dispose(model.predict(tf.randomNormal([30, 12], 0, 1, 'float32', 2)) as tf.Tensor)
    expect(saved.h.rows).toBe(rowsBefore)
    expect(saved.u.on).toEqual(onBefore)
    const now = probe.states()[id]!
    expect(now.h.rows).toBe(50)
    expect(compareHistograms(saved.h, now.h).weightedJaccard).toBeLessThan(1)
    probe.dispose()
  })

  test('a state that cannot be copied is INVALID_REDUCER', () => {
    const fnState: Reducer<{ f: () => number }, number> = {
      name: 'fn',
      init: () => ({ f: () => 1 }),
      update: (s) => s,
      merge: (a) => a,
      result: () => 1,
    }
    const probe = instrument(mlp(), { reducers: { fn: fnState } })
    expect(() => probe.states()).toThrow(expect.objectContaining({ code: 'INVALID_REDUCER', reducer: 'fn' }))
    probe.dispose()
  })
})

describe('every reducer failure is REDUCER_FAILED, with the reducer, the site and the cause', () => {
  test.each(['init', 'result'] as const)('a reducer throwing in %s', (method) => {
    const model = mlp()
    const run = () => instrument(model, { reducers: { bad: throwingIn(method) } }).results()
    try {
      run()
      expect.unreachable()
    } catch (e) {
      expect(e).toMatchObject({ code: 'REDUCER_FAILED', reducer: 'bad' })
      expect((e as InstrumentError).cause).toBeInstanceOf(RangeError)
      expect((e as InstrumentError).site).toBeTypeOf('string')
    }
  })

  test('a derive function throwing', () => {
    const probe = instrument(mlp(), {
      reducers: {
        d: derive(
          { u: unitStats() },
          () => {
            throw new TypeError('no')
          },
          'myMetric',
        ),
      },
    })
    try {
      probe.results()
      expect.unreachable()
    } catch (e) {
      expect(e).toMatchObject({ code: 'REDUCER_FAILED', reducer: 'myMetric' })
      expect((e as InstrumentError).cause).toBeInstanceOf(TypeError)
    }
    probe.dispose()
  })
})

describe('onError', () => {
  test('a throwing handler never reaches fit; it runs once and the error keeps its code', async () => {
    const model = mlp()
    const seen: InstrumentError[] = []
    const probe = instrument(model, {
      reducers: { bad: throwingIn('update') },
      onError: (e) => {
        seen.push(e)
        throw new Error('handler bug')
      },
    })
    const { xs, ys } = data(16)
    await expect(model.fit(xs, ys, { epochs: 1, batchSize: 8 })).resolves.toBeDefined()
    expect(seen).toHaveLength(1)
    expect(seen[0]!.code).toBe('REDUCER_FAILED')
    expect(() => probe.results()).toThrow(expect.objectContaining({ code: 'REDUCER_FAILED', reducer: 'bad' }))
    probe.reset()
    expect(probe.results()[probe.sites[0]!.id]!.bad).toBe(0)
    tf.dispose([xs, ys])
    probe.dispose()
  })

  test('a failing measurement rejects and leaves the training stream recording', async () => {
    let armed = false
    const r: Reducer<{ n: number }, number> = {
      name: 'armed',
      init: () => ({ n: 0 }),
      update: (s, b) => {
        if (armed) throw new Error('boom')
        return { n: s.n + b.rows }
      },
      merge: (a, b) => ({ n: a.n + b.n }),
      result: (s) => s.n,
    }
    const model = mlp()
    const probe = instrument(model, { reducers: { r } })
    armed = true
    const x = tf.ones([3, 12])
    await expect(probe.measure(x)).rejects.toMatchObject({ code: 'REDUCER_FAILED' })
    armed = false
    tf.dispose(model.predict(x) as tf.Tensor)
    expect(probe.results()[probe.sites[0]!.id]!.r).toBe(3)
    x.dispose()
    probe.dispose()
  })
})

test("counters time the probe's own work: reading and packing apart from the reducers", () => {
  const slow: Reducer<number, number> = {
    name: 'slow',
    init: () => 0,
    update: (s) => {
      const until = performance.now() + 3
      while (performance.now() < until) {
        // a reducer that takes 3 ms per batch
      }
      return s + 1
    },
    merge: (a, b) => a + b,
    result: (s) => s,
  }
  const model = mlp()
  const probe = instrument(model, { reducers: { slow } })
  const x = tf.randomNormal([16, 12], 0, 1, 'float32', 3)
  for (let i = 0; i < 4; i++) tf.dispose(model.predict(x) as tf.Tensor)
  const c = probe.counters()
  for (const site of probe.sites) {
    expect(c[site.id]!.reduceMs).toBeGreaterThanOrEqual(4 * 3)
    expect(c[site.id]!.recordMs).toBeGreaterThan(0)
    // the reducers' time is not counted again as reading time
    expect(c[site.id]!.recordMs).toBeLessThan(c[site.id]!.reduceMs)
  }
  probe.dispose()
  x.dispose()
})
