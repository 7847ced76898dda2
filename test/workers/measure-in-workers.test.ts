// measureInWorkers runs the built package (dist, by its own name): worker threads load
// dist/worker.js, built here first if it is missing. The results must equal the
// single-thread measurement exactly.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import '@tensorflow/tfjs-backend-cpu'
import '@tensorflow/tfjs-backend-wasm'
import * as tf from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'
import { afterEach, beforeAll, beforeEach, expect, test } from 'vitest'

type Lib = typeof import('relu-patterns')
type Workers = typeof import('relu-patterns/workers')
let hamming: Lib['hamming'], instrument: Lib['instrument'], patternHistogram: Lib['patternHistogram'], unitStats: Lib['unitStats']
let measureInWorkers: Workers['measureInWorkers'], workerPool: Workers['workerPool']

beforeAll(async () => {
  const root = new URL('../../', import.meta.url)
  if (!existsSync(new URL('dist/worker.js', root)) || !existsSync(new URL('dist/index.js', root))) {
    execFileSync('npm', ['run', '-s', 'build'], { cwd: root, stdio: 'ignore' })
  }
  ;({ hamming, instrument, patternHistogram, unitStats } = await import('relu-patterns'))
  ;({ measureInWorkers, workerPool } = await import('relu-patterns/workers'))
}, 180_000)

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

test('a pool measures with the weights of the moment, through training', async () => {
  const model = convBn(3)
  model.add(tfl.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({ seed: 30 }) }))
  model.compile({ optimizer: tf.train.sgd(0.5), loss: 'categoricalCrossentropy' })
  const probe = instrument(model, { reducers: reducers() })
  const xs = tf.randomNormal([120, 8, 8, 2], 0, 1, 'float32', 6)
  const ys = tf.oneHot(
    tf.tensor1d(
      Array.from({ length: 120 }, (_, i) => i % 3),
      'int32',
    ),
    3,
  )
  const pool = await workerPool(probe, { workers: 2 })
  expect(pool.workers).toBe(2)
  const first = await pool.measure(xs, { batchSize: 16 })
  expect(first).toEqual(await probe.measure(xs, { batchSize: 16 }))
  await model.fit(xs, ys, { epochs: 2, batchSize: 16, verbose: 0 })
  const second = await pool.measure(xs, { batchSize: 16 })
  expect(second).toEqual(await probe.measure(xs, { batchSize: 16 }))
  expect(second).not.toEqual(first) // training changed the patterns, and the pool saw it
  await pool.close()
  await pool.close()
  await expect(pool.measure(xs)).rejects.toMatchObject({ code: 'DISPOSED' })
  probe.dispose()
  model.dispose()
  tf.dispose([xs, ys])
}, 120_000)

test('measures asked at once run one after another, each with its own result', async () => {
  const model = convBn(4)
  const probe = instrument(model, { reducers: reducers(), onError: () => undefined })
  const big = tf.randomNormal([300, 8, 8, 2], 0, 1, 'float32', 11)
  const small = tf.randomNormal([10, 8, 8, 2], 0, 1, 'float32', 12)
  const pool = await workerPool(probe, { workers: 1 })
  const [a, b] = await Promise.all([pool.measure(big, { batchSize: 50 }), pool.measure(small, { batchSize: 50 })])
  expect(a).toEqual(await probe.measure(big, { batchSize: 50 }))
  expect(b).toEqual(await probe.measure(small, { batchSize: 50 }))
  // a failing measure does not poison the next one
  await expect(pool.measure(small, { labels: [0.5, ...Array(9).fill(1)] })).rejects.toMatchObject({ code: 'INVALID_INPUT' })
  expect(await pool.measure(small, { labels: tf.tensor1d(Array(10).fill(2), 'int32') as never })).toEqual(
    await probe.measure(small, { labels: Array(10).fill(2) }),
  )
  // closing while a measure runs rejects it with DISPOSED
  const running = pool.measure(big, { batchSize: 10 })
  await pool.close()
  await expect(running).rejects.toMatchObject({ code: 'DISPOSED' })
  probe.dispose()
  model.dispose()
  tf.dispose([big, small])
}, 120_000)

test('what cannot run in a worker is a coded error, before any worker starts', async () => {
  const model = convBn(2)
  const xs = tf.randomNormal([10, 8, 8, 2], 0, 1, 'float32', 4)
  const custom = instrument(model, {
    reducers: {
      rows: {
        name: 'rows',
        init: () => 0,
        update: (s: number, b: { rows: number }) => s + b.rows,
        merge: (a: number, b: number) => a + b,
        result: (s: number) => s,
      },
    },
  })
  await expect(measureInWorkers(custom, xs)).rejects.toMatchObject({ code: 'INVALID_OPTION', message: expect.stringMatching(/spec/) })
  custom.dispose()
  const bySite = instrument(model, { sites: (s) => s.units > 5 })
  await expect(measureInWorkers(bySite, xs)).rejects.toMatchObject({ code: 'INVALID_OPTION', message: expect.stringMatching(/site ids/) })
  await expect(measureInWorkers(bySite, xs, { workers: 0 })).rejects.toMatchObject({ code: 'INVALID_OPTION' })
  await expect(workerPool(bySite, { workers: 1.5 })).rejects.toMatchObject({ code: 'INVALID_OPTION' })
  await expect(measureInWorkers(bySite, xs, { threads: 2 } as never)).rejects.toMatchObject({ code: 'INVALID_OPTION' })
  await expect(measureInWorkers(bySite, xs, { labels: [1, 2] })).rejects.toMatchObject({ code: 'INVALID_INPUT' })
  const disposedX = tf.clone(xs)
  disposedX.dispose()
  await expect(measureInWorkers(bySite, disposedX)).rejects.toMatchObject({ code: 'INVALID_INPUT' })
  bySite.dispose()
  await expect(measureInWorkers(bySite, xs)).rejects.toMatchObject({ code: 'DISPOSED' })
  const a = tfl.input({ shape: [3] })
  const b = tfl.input({ shape: [3] })
  const twoInputs = tfl.model({
    inputs: [a, b],
    outputs: tfl.layers.dense({ units: 4, activation: 'relu' }).apply(tfl.layers.concatenate().apply([a, b])) as never,
  })
  const p2 = instrument(twoInputs)
  await expect(workerPool(p2)).rejects.toMatchObject({ code: 'INVALID_OPTION', message: expect.stringMatching(/one input/) })
  p2.dispose()
  model.dispose()
  xs.dispose()
})
