import '@tensorflow/tfjs-backend-wasm'
import { beforeAll, expect, test } from 'vitest'
import { instrument } from '../../src/index.js'
import { data, mlp, weightsOf } from '../helpers/models.js'
import { collect, signRows, tf, tfl, unpackRows } from '../helpers/tf.js'

beforeAll(async () => {
  await tf.setBackend('wasm')
  await tf.ready()
})

const run = async (instrumented: boolean) => {
  const model = mlp(4, [20, 70, 45, 5])
  const { xs, ys } = data(64, 20, 5, 2)
  const probe = instrumented ? instrument(model) : null
  await model.fit(xs, ys, { epochs: 3, batchSize: 16, shuffle: false, verbose: 0 })
  const w = weightsOf(model)
  const rows = probe === null ? 0 : Object.values(probe.results())[0]!.units.rows
  probe?.dispose()
  tf.dispose([xs, ys])
  return { w, rows }
}

test('wasm: training is bit-identical with and without instrumentation', async () => {
  expect(tf.getBackend()).toBe('wasm')
  const plain = await run(false)
  const tapped = await run(true)
  expect(tapped.rows).toBe(64 * 3)
  expect(tapped.w).toEqual(plain.w)
})

test('wasm: recorded bits equal brute force, and nothing leaks', async () => {
  const model = mlp(2, [9, 70, 3])
  const { xs, ys } = data(33, 9, 3, 4)
  const id = model.layers[0]!.name
  const expected = tfl.model({ inputs: model.inputs, outputs: model.getLayer(id).output as never }).predict(xs) as tf.Tensor
  const start = tf.memory().numTensors
  const probe = instrument(model, { reducers: { bits: collect() } })
  const m = await probe.measure(xs, { batchSize: 10 })
  expect(unpackRows(m[id]!.bits)).toEqual(signRows(expected.dataSync(), 70))
  for (let i = 0; i < 20; i++) await model.fit(xs, ys, { epochs: 1, batchSize: 33, verbose: 0 })
  probe.dispose()
  expect(tf.memory().numTensors).toBe(start)
  tf.dispose([xs, ys, expected])
})
