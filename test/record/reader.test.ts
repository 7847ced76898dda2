import { beforeAll, describe, expect, test } from 'vitest'
import { instrument, unitStats } from '../../src/index.js'
import { data, mlp, weightsOf } from '../helpers/models.js'
import { collect, tf, tfl, useCpu } from '../helpers/tf.js'

// The device-packing path GPU backends use, run here on the cpu backend with
// read: 'async': the same ops, the same deferred reads.
beforeAll(useCpu)

type Build = () => ReturnType<typeof tfl.sequential>
const models: [string, Build, number[], Parameters<typeof instrument>[1]][] = [
  ['dense, 37 and 70 units', () => mlp(1, [12, 37, 70, 3]), [9, 12], {}],
  [
    'conv2d channels-last, 35 channels',
    () => tfl.sequential({ layers: [tfl.layers.conv2d({ inputShape: [5, 6, 2], filters: 35, kernelSize: 2, activation: 'relu' })] }),
    [3, 5, 6, 2],
    {},
  ],
  [
    'conv2d channels-first',
    () =>
      tfl.sequential({
        layers: [tfl.layers.conv2d({ inputShape: [2, 5, 6], filters: 17, kernelSize: 2, activation: 'relu', dataFormat: 'channelsFirst' })],
      }),
    [3, 2, 5, 6],
    {},
  ],
  [
    'conv2d, example granularity',
    () => tfl.sequential({ layers: [tfl.layers.conv2d({ inputShape: [5, 6, 2], filters: 3, kernelSize: 2, activation: 'relu' })] }),
    [3, 5, 6, 2],
    { granularity: 'example' },
  ],
  [
    'relu6 with saturation plane',
    () =>
      tfl.sequential({
        layers: [
          tfl.layers.dense({
            inputShape: [4],
            units: 40,
            activation: 'relu6',
            kernelInitializer: tfl.initializers.randomNormal({ stddev: 5, seed: 3 }),
          }),
        ],
      }),
    [20, 4],
    { saturation: true },
  ],
]

describe.each(models)('%s', (_name, build, shape, options) => {
  test('async reads give the same bits and results as sync reads', async () => {
    const model = build()
    const x = tf.randomNormal(shape, 0, 1, 'float32', 4)
    const start = tf.memory().numTensors
    const sync = instrument(model, { ...options, read: 'sync', reducers: { bits: collect(), u: unitStats() } })
    const a = await sync.measure(x, { batchSize: 2 })
    sync.dispose()
    const asyncProbe = instrument(model, { ...options, read: 'async', reducers: { bits: collect(), u: unitStats() } })
    const b = await asyncProbe.measure(x, { batchSize: 2 })
    asyncProbe.dispose()
    expect(tf.memory().numTensors).toBe(start)
    expect(Object.keys(b)).toEqual(Object.keys(a))
    for (const id of Object.keys(a)) {
      expect(b[id]!.bits.words).toEqual(a[id]!.bits.words)
      expect(b[id]!.u).toEqual(a[id]!.u)
    }
    x.dispose()
  })
})

test('async reads in fit: training is bit-identical, nothing leaks after flush, results complete', async () => {
  const { xs, ys } = data(48)
  const plain = mlp(5)
  await plain.fit(xs, ys, { epochs: 2, batchSize: 16, shuffle: false, verbose: 0 })
  const model = mlp(5)
  const start = tf.memory().numTensors
  const probe = instrument(model, { read: 'async' })
  await model.fit(xs, ys, { epochs: 2, batchSize: 16, shuffle: false, verbose: 0 })
  const opt = tf.train.sgd(0.1)
  const before = weightsOf(model)
  opt.minimize(() => tf.losses.softmaxCrossEntropy(ys, model.apply(xs, { training: true }) as tf.Tensor) as tf.Scalar)
  await probe.flush()
  const id = probe.sites[0]!.id
  expect(probe.results()[id]!.units.rows).toBe(48 * 2 + 48)
  expect(probe.counters()[id]).toMatchObject({ recorded: 7, rows: 144 })
  probe.dispose()
  // (the minimize step afterwards is only there to exercise the tape; compare fit alone)
  expect(before).toEqual(weightsOf(plain))
  opt.dispose()
  expect(tf.memory().numTensors).toBe(start + 0)
  tf.dispose([xs, ys])
})

test('labels with async reads on conv positions', async () => {
  const model = tfl.sequential({ layers: [tfl.layers.conv2d({ inputShape: [4, 4, 1], filters: 3, kernelSize: 2, activation: 'relu' })] })
  const x = tf.randomNormal([6, 4, 4, 1], 0, 1, 'float32', 8)
  const labels = [0, 1, 0, 1, 2, 2]
  const sync = instrument(model, { read: 'sync' })
  const a = await sync.measure(x, { labels, batchSize: 4 })
  sync.dispose()
  const asyncProbe = instrument(model, { read: 'async' })
  const b = await asyncProbe.measure(x, { labels, batchSize: 4 })
  asyncProbe.dispose()
  const id = Object.keys(a)[0]!
  expect(b[id]!.patterns.conditionalEntropy).toBe(a[id]!.patterns.conditionalEntropy)
  expect(b[id]!.patterns.conditionalEntropy).not.toBeNull()
  x.dispose()
})
