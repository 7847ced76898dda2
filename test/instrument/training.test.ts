import * as tfd from '@tensorflow/tfjs-data'
import { beforeAll, describe, expect, test } from 'vitest'
import { instrument, patternHistogram, unitStats } from '../../src/index.js'
import { data, mlp, ownKeys, weightsOf } from '../helpers/models.js'
import { collect, signRows, tf, tfl, unpackRows, useCpu } from '../helpers/tf.js'

beforeAll(useCpu)

const siteIds = (m: ReturnType<typeof mlp>) => m.layers.slice(0, 2).map((l) => l.name)

describe('records in the passes the program already runs', () => {
  test('fit: one recorded batch per training step, bits equal brute force of the pre-step weights', async () => {
    const model = mlp()
    const { xs, ys } = data(40)
    const [a, b] = siteIds(model)
    const hA = tfl.model({ inputs: model.inputs, outputs: model.getLayer(a!).output as never }).predict(xs) as tf.Tensor
    const hB = tfl.model({ inputs: model.inputs, outputs: model.getLayer(b!).output as never }).predict(xs) as tf.Tensor
    const probe = instrument(model, { reducers: { bits: collect() } })
    await model.fit(xs, ys, { epochs: 1, batchSize: 40, shuffle: false, verbose: 0 })
    const r = probe.results()
    expect(unpackRows(r[a!]!.bits)).toEqual(signRows(hA.dataSync(), 37))
    expect(unpackRows(r[b!]!.bits)).toEqual(signRows(hB.dataSync(), 33))
    expect(probe.counters()[a!]).toMatchObject({ calls: 1, recorded: 1, rows: 40, nonFinite: 0 })
    probe.dispose()
    tf.dispose([xs, ys, hA, hB])
  })

  test('fit with validation, predict and evaluate: passes filter training from inference', async () => {
    const model = mlp()
    const { xs, ys } = data(32)
    const train = instrument(model, { passes: 'training', reducers: { u: unitStats() } })
    const id = train.sites[0]!.id
    await model.fit(xs, ys, { epochs: 2, batchSize: 16, verbose: 0, validationData: [xs, ys] })
    expect(train.counters()[id]).toMatchObject({ recorded: 4, rows: 64 })
    train.dispose()

    const inference = instrument(model, { passes: 'inference', reducers: { u: unitStats() } })
    await model.fit(xs, ys, { epochs: 1, batchSize: 16, verbose: 0, validationData: [xs, ys] })
    // two training batches, then validation in two batches of 16
    expect(inference.counters()[id]).toMatchObject({ calls: 4, recorded: 2, rows: 32 })
    tf.dispose(model.predict(xs, { batchSize: 8 }))
    expect(inference.counters()[id]).toMatchObject({ recorded: 6, rows: 64 })
    tf.dispose(model.evaluate(xs, ys, { batchSize: 32 }))
    expect(inference.counters()[id]).toMatchObject({ recorded: 7, rows: 96 })
    inference.dispose()
    tf.dispose([xs, ys])
  })

  test('fitDataset records each batch', async () => {
    const model = mlp()
    const { xs, ys } = data(30)
    const ds = tfd.zip({ xs: tfd.array(tf.unstack(xs)), ys: tfd.array(tf.unstack(ys)) }).batch(10)
    const probe = instrument(model)
    await model.fitDataset(ds as never, { epochs: 2, verbose: 0 })
    const id = probe.sites[0]!.id
    expect(probe.counters()[id]).toMatchObject({ calls: 6, recorded: 6, rows: 60 })
    expect(probe.results()[id]!.units.rows).toBe(60)
    probe.dispose()
    tf.dispose([xs, ys])
  })

  test('custom optimizer.minimize loop records training-mode passes', () => {
    const model = mlp()
    const { xs, ys } = data(16)
    const probe = instrument(model, { passes: 'training', reducers: { bits: collect() } })
    const id = probe.sites[0]!.id
    const expected = tfl.model({ inputs: model.inputs, outputs: model.getLayer(id).output as never }).predict(xs) as tf.Tensor
    const opt = tf.train.sgd(0.05)
    opt.minimize(() => tf.losses.softmaxCrossEntropy(ys, model.apply(xs, { training: true }) as tf.Tensor) as tf.Scalar)
    expect(unpackRows(probe.results()[id]!.bits)).toEqual(signRows(expected.dataSync(), 37))
    probe.dispose()
    tf.dispose([xs, ys, expected])
  })

  test('every: k records the 1st, (k+1)th, ... call', async () => {
    const model = mlp()
    const { xs } = data(10)
    const probe = instrument(model, { every: 3 })
    for (let i = 0; i < 7; i++) tf.dispose(model.predict(xs))
    expect(probe.counters()[probe.sites[0]!.id]).toMatchObject({ calls: 7, recorded: 3, rows: 30 })
    probe.dispose()
    xs.dispose()
  })
})

describe('measure', () => {
  test('is one ordered pass into fresh state that leaves accumulated state alone', async () => {
    const model = mlp()
    const { xs, ys } = data(50)
    const probe = instrument(model, { reducers: { bits: collect(), h: patternHistogram() } })
    await model.fit(xs, ys, { epochs: 1, batchSize: 25, verbose: 0 })
    const id = probe.sites[0]!.id
    // the brute-force sub-model runs the tapped layer too, so it is built before `before`
    const expected = tfl.model({ inputs: model.inputs, outputs: model.getLayer(id).output as never }).predict(xs) as tf.Tensor
    const before = probe.results()
    const m = await probe.measure(xs, { batchSize: 7 })
    expect(unpackRows(m[id]!.bits)).toEqual(signRows(expected.dataSync(), 37))
    expect(probe.results()).toEqual(before)
    const rows = tf.unstack(xs)
    const again = await probe.measure(tfd.array(rows).batch(16) as never)
    expect(again[id]!.bits.words).toEqual(m[id]!.bits.words)
    tf.dispose(rows)
    probe.dispose()
    tf.dispose([xs, ys, expected])
  })

  test('training: true runs training mode (dropout active)', async () => {
    const model = tfl.sequential({ layers: [tfl.layers.dropout({ inputShape: [64], rate: 0.5, seed: 1 }), tfl.layers.reLU()] })
    const probe = instrument(model, { reducers: { u: unitStats() } })
    const x = tf.ones([20, 64])
    const id = probe.sites[0]!.id
    expect((await probe.measure(x))[id]!.u.alwaysOn).toBe(64)
    expect((await probe.measure(x, { training: true }))[id]!.u.alwaysOn).toBe(0)
    probe.dispose()
    x.dispose()
  })
})

describe('never changes training results', () => {
  const run = async (instrumented: boolean) => {
    const model = mlp(3)
    const { xs, ys } = data(48, 12, 3, 9)
    const probe = instrumented ? instrument(model) : null
    await model.fit(xs, ys, { epochs: 3, batchSize: 16, shuffle: false, verbose: 0 })
    const opt = tf.train.adam(0.01)
    for (let i = 0; i < 3; i++) {
      opt.minimize(() => tf.losses.softmaxCrossEntropy(ys, model.apply(xs, { training: true }) as tf.Tensor) as tf.Scalar)
    }
    const w = weightsOf(model)
    const recorded = probe?.results()
    probe?.dispose()
    tf.dispose([xs, ys])
    opt.dispose()
    return { w, recorded }
  }

  test('weights are bit-identical after fit and minimize steps (cpu)', async () => {
    const plain = await run(false)
    const tapped = await run(true)
    expect(tapped.w).toEqual(plain.w)
    expect(Object.values(tapped.recorded!)[0]!.units.rows).toBe(48 * 3 + 48 * 3)
  })
})

describe('no leaks, and dispose restores the model', () => {
  test('numTensors is unchanged across 100 instrumented steps and after dispose', async () => {
    const model = mlp()
    const { xs, ys } = data(16)
    const opt = tf.train.sgd(0.01)
    const step = () => opt.minimize(() => tf.losses.softmaxCrossEntropy(ys, model.apply(xs, { training: true }) as tf.Tensor) as tf.Scalar)
    step()
    const keys = ownKeys(model)
    const start = tf.memory().numTensors
    const probe = instrument(model)
    for (let i = 0; i < 100; i++) step()
    await probe.measure(xs, { batchSize: 5 })
    const rows = tf.unstack(xs)
    await probe.measure(tfd.array(rows).batch(4) as never)
    tf.dispose(rows)
    await probe.measure(xs, { training: true, batchSize: 3 })
    probe.results()
    expect(tf.memory().numTensors).toBe(start)
    probe.dispose()
    probe.dispose()
    expect(tf.memory().numTensors).toBe(start)
    expect(ownKeys(model)).toEqual(keys)
    for (const l of model.layers) expect(Object.hasOwn(l, 'call')).toBe(false)
    tf.dispose([xs, ys])
    opt.dispose()
  })

  test('a model can be instrumented again after dispose', () => {
    const model = mlp()
    instrument(model).dispose()
    const again = instrument(model)
    expect(again.sites).toHaveLength(2)
    again.dispose()
  })

  test('Symbol.dispose is the same as dispose where the runtime has it', () => {
    const model = mlp()
    const probe = instrument(model)
    const sym = (Symbol as { dispose?: symbol }).dispose
    expect(typeof sym).toBe('symbol') // Node 20 has it; the test must not pass vacuously
    const layer = model.layers[0]!
    expect(Object.hasOwn(layer, 'call')).toBe(true)
    ;(probe as unknown as Record<symbol, () => void>)[sym!]!()
    expect(probe.disposed).toBe(true)
    expect(Object.hasOwn(layer, 'call')).toBe(false)
  })
})
