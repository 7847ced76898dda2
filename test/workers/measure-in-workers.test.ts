// measureInWorkers runs the built package (dist, by its own name): worker threads load
// dist/worker.js. The results must equal the single-thread measurement exactly.
import '@tensorflow/tfjs-backend-cpu'
import '@tensorflow/tfjs-backend-wasm'
import * as tf from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'
import { hamming, instrument, patternHistogram, unitStats } from 'relu-patterns'
import { measureInWorkers } from 'relu-patterns/workers'
import { afterEach, beforeEach, expect, test } from 'vitest'

const reducers = () => ({ units: unitStats(), patterns: patternHistogram(), pairs: hamming({ maxPairs: 50 }) })

function convBn(seed: number) {
  const init = (s: number) => tfl.initializers.glorotUniform({ seed: seed + s })
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [8, 8, 2], filters: 6, kernelSize: 3, padding: 'same', kernelInitializer: init(1) }),
      tfl.layers.batchNormalization({}),
      tfl.layers.reLU({}),
      tfl.layers.conv2d({ filters: 5, kernelSize: 3, strides: 2, activation: 'relu', kernelInitializer: init(2) }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 7, activation: 'relu', kernelInitializer: init(3) }),
    ],
  })
}

beforeEach(async () => {
  await tf.setBackend('cpu')
})
afterEach(async () => {
  await tf.setBackend('cpu')
})

test('two workers give exactly the single-thread results (conv, batch statistics, labels), and leak nothing', async () => {
  const model = convBn(1)
  const probe = instrument(model, { reducers: reducers() })
  const xs = tf.randomNormal([203, 8, 8, 2], 0, 1, 'float32', 4)
  const labels = Array.from({ length: 203 }, (_, i) => (i * 7) % 5)
  const single = await probe.measure(xs, { batchSize: 25, training: true, labels })
  const tensors = tf.memory().numTensors
  const parallel = await measureInWorkers(probe, xs, { workers: 2, batchSize: 25, training: true, labels })
  expect(parallel).toEqual(single)
  expect(tf.memory().numTensors).toBe(tensors)
  // more workers than batches: the extra ones are not started
  expect(await measureInWorkers(probe, xs, { workers: 9, batchSize: 100, training: true, labels })).toEqual(
    await probe.measure(xs, { batchSize: 100, training: true, labels }),
  )
  probe.dispose()
  model.dispose()
  xs.dispose()
}, 120_000)

test('on wasm, with a site selection and saturation planes', async () => {
  await tf.setBackend('wasm')
  const model = tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [10], units: 40, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 8 }) }),
      tfl.layers.dense({ units: 30, activation: 'relu6', kernelInitializer: tfl.initializers.glorotUniform({ seed: 9 }) }),
    ],
  })
  const probe = instrument(model, { reducers: reducers(), saturation: true, sites: [model.layers[1]!.name] })
  const xs = tf.randomNormal([500, 10], 0, 3, 'float32', 5)
  expect(await measureInWorkers(probe, xs, { workers: 2, batchSize: 64 })).toEqual(await probe.measure(xs, { batchSize: 64 }))
  probe.dispose()
  model.dispose()
  xs.dispose()
}, 120_000)

test('what cannot run in a worker is a coded error, before any worker starts', async () => {
  const model = convBn(2)
  const xs = tf.randomNormal([10, 8, 8, 2], 0, 1, 'float32', 4)
  const custom = instrument(model, { reducers: { rows: { name: 'rows', init: () => 0, update: (s: number, b: { rows: number }) => s + b.rows, merge: (a: number, b: number) => a + b, result: (s: number) => s } } })
  await expect(measureInWorkers(custom, xs)).rejects.toMatchObject({ code: 'INVALID_OPTION', message: expect.stringMatching(/spec/) })
  custom.dispose()
  const bySite = instrument(model, { sites: (s) => s.units > 5 })
  await expect(measureInWorkers(bySite, xs)).rejects.toMatchObject({ code: 'INVALID_OPTION', message: expect.stringMatching(/site ids/) })
  await expect(measureInWorkers(bySite, xs, { workers: 0 })).rejects.toMatchObject({ code: 'INVALID_OPTION' })
  await expect(measureInWorkers(bySite, xs, { threads: 2 } as never)).rejects.toMatchObject({ code: 'INVALID_OPTION' })
  await expect(measureInWorkers(bySite, xs, { labels: [1, 2] })).rejects.toMatchObject({ code: 'INVALID_INPUT' })
  bySite.dispose()
  await expect(measureInWorkers(bySite, xs)).rejects.toMatchObject({ code: 'DISPOSED' })
  model.dispose()
  xs.dispose()
})
