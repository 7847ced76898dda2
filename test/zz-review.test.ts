import { beforeAll, describe, expect, test } from 'vitest'
import { instrument, patternHistogram, unitStats, serialize, deserialize, InstrumentError, splitBy, derive, windowed, hamming, Timeline } from '../src/index.js'
import { mlp, weightsOf } from './helpers/models.js'
import { collect, tf, tfl, useCpu } from './helpers/tf.js'

beforeAll(useCpu)

const code = async (p: unknown) => {
  try { await (typeof p === 'function' ? (p as () => unknown)() : p); return 'OK' } catch (e) { return e instanceof InstrumentError ? `IE:${e.code}:${e.message}` : `RAW:${(e as Error)?.constructor?.name}:${String(e)}` }
}

describe('review', () => {
  test('frozen dense with kernelConstraint: measure training changes weights?', async () => {
    const model = tfl.sequential({ layers: [
      tfl.layers.dense({ inputShape: [4], units: 6, activation: 'relu', kernelConstraint: tfl.constraints.maxNorm({ maxValue: 0.1 }), name: 'd1' }),
      tfl.layers.dense({ units: 2 }),
    ] })
    model.compile({ optimizer: tf.train.sgd(0.5), loss: 'meanSquaredError' })
    // train: constraint not enforced by optimizer
    const x = tf.randomNormal([32, 4], 0, 1, 'float32', 1); const y = tf.randomNormal([32, 2], 0, 3, 'float32', 2)
    await model.fit(x, y, { epochs: 3, verbose: 0 })
    model.getLayer('d1').trainable = false
    const before = weightsOf(model)
    const probe = instrument(model)
    const n = tf.memory().numTensors
    await probe.measure(x, { training: true, batchSize: 8 })
    console.log('constraint leak', tf.memory().numTensors - n)
    const after = weightsOf(model)
    console.log('constraint weights equal', JSON.stringify(before) === JSON.stringify(after))
    probe.dispose()
  })

  test('async read on cpu: equality, leaks, concurrent predict', async () => {
    const model = mlp()
    const pa = instrument(model, { read: 'async', reducers: { bits: collect(), u: unitStats() } })
    const x = tf.randomNormal([40, 12], 0, 1, 'float32', 3)
    const n0 = tf.memory().numTensors
    const m = pa.measure(x, { batchSize: 7 })
    tf.dispose(model.predict(x) as tf.Tensor)
    const r = await m
    await pa.flush()
    console.log('async leak', tf.memory().numTensors - n0, 'rows', r[pa.sites[0]!.id]!.bits.rows, 'train rows', pa.results()[pa.sites[0]!.id]!.bits.rows)
    pa.dispose()
    const ps = instrument(model, { read: 'sync', reducers: { bits: collect() } })
    const rs = await ps.measure(x, { batchSize: 7 })
    console.log('async==sync', JSON.stringify(rs[ps.sites[0]!.id]!.bits.words) === JSON.stringify(r[pa.sites[0]!.id]!.bits.words))
    ps.dispose()
  })

  test('async: dispose during flush', async () => {
    const model = mlp()
    const p = instrument(model, { read: 'async' })
    const x = tf.randomNormal([40, 12], 0, 1, 'float32', 3)
    const n0 = tf.memory().numTensors
    const m = p.measure(x, { batchSize: 7 })
    p.dispose()
    console.log('dispose mid async', await code(m))
    await new Promise((r) => setTimeout(r, 50))
    console.log('leak after dispose', tf.memory().numTensors - n0)
  })

  test('async: reset during measure / training stream', async () => {
    const model = mlp()
    const p = instrument(model, { read: 'async', reducers: { bits: collect() } })
    const x = tf.randomNormal([10, 12], 0, 1, 'float32', 3)
    tf.dispose(model.predict(x) as tf.Tensor)
    p.reset()
    tf.dispose(model.predict(tf.slice(x, 0, 3)) as tf.Tensor)
    await p.flush()
    const id = p.sites[0]!.id
    console.log('after reset rows', p.results()[id]!.bits.rows, p.counters()[id])
    p.dispose()
  })

  test('measure labels with async', async () => {
    const model = mlp()
    const p = instrument(model, { read: 'async', reducers: { h: patternHistogram() } })
    const ps = instrument(mlp(), { read: 'sync', reducers: { h: patternHistogram() } })
    const x = tf.randomNormal([10, 12], 0, 1, 'float32', 3)
    const labels = [0,1,2,0,1,2,0,1,2,0]
    const a = await p.measure(x, { labels, batchSize: 3 })
    const b = await ps.measure(x, { labels, batchSize: 3 })
    const id = p.sites[0]!.id
    console.log('labels async/sync MI', a[id]!.h.mutualInformation, b[id]!.h.mutualInformation)
    p.dispose(); ps.dispose()
  })

  test('measure option edge cases', async () => {
    const p = instrument(mlp())
    const x = tf.randomNormal([4, 12])
    console.log('labels undefined', await code(() => p.measure(x, { labels: undefined })))
    console.log('batchSize Infinity', await code(() => p.measure(x, { batchSize: Infinity })))
    console.log('options null', await code(() => p.measure(x, null as never)))
    console.log('measure sync throw?', (() => { try { const r = p.measure(x, { bogus: 1 } as never); r.catch(() => 0); return 'returned promise' } catch (e) { return 'threw sync' } })())
    console.log('labels too few', await code(() => p.measure(x, { labels: [1, 2] })))
    console.log('dataset throwing', await code(() => p.measure({ iterator: async () => ({ next: async () => { throw new Error('boom') } }) })))
    console.log('dataset iterator not fn result', await code(() => p.measure({ iterator: async () => null } as never)))
    console.log('dataset element string', await code(() => p.measure({ iterator: async () => ({ next: async () => ({ done: false, value: 'x' }) }) })))
    console.log('int32 input', await code(() => p.measure(tf.ones([3, 12], 'int32'))))
    console.log('string input', await code(() => p.measure(tf.tensor([['a']]) as never)))
    console.log('rank1 input', await code(() => p.measure(tf.ones([12]))))
    console.log('scalar input', await code(() => p.measure(tf.scalar(1))))
    p.dispose()
  })
})
