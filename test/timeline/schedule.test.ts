import * as tfd from '@tensorflow/tfjs-data'
import { beforeAll, describe, expect, test } from 'vitest'
import {
  type Reducer,
  Timeline,
  compareHistograms,
  hartmannProtocol,
  instrument,
  localComplexity,
  trainingCallback,
} from '../../src/index.js'
import { data, mlp } from '../helpers/models.js'
import { tf, tfl, useCpu } from '../helpers/tf.js'

beforeAll(useCpu)

describe('trainingCallback with fit', () => {
  test('measures at the start, every k batches and at the end, with step, epoch and examples', async () => {
    const model = mlp()
    const { xs, ys } = data(40)
    const probeSet = tf.slice(xs, 0, 10)
    const probe = instrument(model)
    const points: number[] = []
    const schedule = trainingCallback(probe, { every: { batches: 3 }, measure: probeSet, onPoint: (e) => void points.push(e.step) })
    await model.fit(xs, ys, { epochs: 2, batchSize: 10, verbose: 0, callbacks: [schedule] })
    // 8 batches: points at 0 (init), 3, 6, and 8 (end)
    expect(schedule.timeline.entries.map((e) => [e.step, e.epoch, e.examples, e.label])).toEqual([
      [0, 0, 0, 'init'],
      [3, 0.75, 30, undefined],
      [6, 1.5, 60, undefined],
      [8, 2, 80, 'end'],
    ])
    expect(points).toEqual([0, 3, 6, 8])
    const id = probe.sites[0]!.id
    expect(schedule.timeline.entries[0]!.results[id]!.patterns.rows).toBe(10)
    // the first entry equals a measurement of the initial model... the last one the final model
    const final = await probe.measurePatterns(probeSet)
    expect(schedule.timeline.entries[3]!.results).toEqual(final.results)
    expect(compareHistograms(schedule.timeline.entries[3]!.histograms![id]!, final.patterns[id]!.histogram).weightedJaccard).toBe(1)
    probe.dispose()
    tf.dispose([xs, ys, probeSet])
  })

  test('{ epochs: 0.5 } measures twice per epoch; fitDataset learns steps per epoch after the first', async () => {
    const model = mlp()
    const { xs, ys } = data(40)
    const probe = instrument(model)
    const fitSchedule = trainingCallback(probe, { every: { epochs: 0.5 }, measure: xs })
    await model.fit(xs, ys, { epochs: 2, batchSize: 10, verbose: 0, callbacks: [fitSchedule] })
    expect(fitSchedule.timeline.entries.map((e) => e.step)).toEqual([0, 2, 4, 6, 8])
    // a generator dataset has no known size: the first epoch is measured at its end only
    const ds = tfd.generator(function* () {
      for (let i = 0; i < 4; i++) yield { xs: tf.slice(xs, i * 10, 10), ys: tf.slice(ys, i * 10, 10) }
    })
    const dsSchedule = trainingCallback(probe, { every: { epochs: 0.5 }, measure: xs })
    await model.fitDataset(ds as never, { epochs: 2, verbose: 0, callbacks: [dsSchedule] })
    expect(dsSchedule.timeline.entries.map((e) => e.step)).toEqual([0, 4, 6, 8])
    probe.dispose()
    tf.dispose([xs, ys])
  })

  test('snapshot: true records the stream per interval and resets it', async () => {
    const model = mlp()
    const { xs, ys } = data(40)
    const probe = instrument(model, { passes: 'training' })
    const schedule = trainingCallback(probe, { every: { batches: 2 }, snapshot: true })
    await model.fit(xs, ys, { epochs: 1, batchSize: 10, verbose: 0, callbacks: [schedule] })
    const id = probe.sites[0]!.id
    expect(schedule.stream.entries.map((e) => e.results[id]!.units.rows)).toEqual([0, 20, 20])
    expect(schedule.timeline.entries).toHaveLength(0)
    probe.dispose()
    tf.dispose([xs, ys])
  })

  test('works by hand in a custom loop; nothing leaks', async () => {
    const model = mlp()
    const { xs, ys } = data(20)
    const opt = tf.train.sgd(0.1)
    const step = () => opt.minimize(() => tf.losses.softmaxCrossEntropy(ys, model.apply(xs, { training: true }) as tf.Tensor) as tf.Scalar)
    step()
    const start = tf.memory().numTensors
    const probe = instrument(model)
    const schedule = trainingCallback(probe, { every: { epochs: 1 }, stepsPerEpoch: 4, measure: xs, keep: 'patterns' })
    await schedule.onTrainBegin()
    for (let i = 0; i < 8; i++) {
      step()
      await schedule.onBatchEnd(i)
    }
    await schedule.onTrainEnd()
    expect(schedule.timeline.entries.map((e) => [e.step, e.epoch])).toEqual([
      [0, 0],
      [4, 1],
      [8, 2],
    ])
    const drift = schedule.timeline.compare('first')
    const id = probe.sites[0]!.id
    expect(drift[0]![id]).toMatchObject({ flipRate: 0, jaccard: 1 })
    expect((drift[2]![id] as { flipRate: number }).flipRate).toBeGreaterThan(0)
    probe.dispose()
    expect(tf.memory().numTensors).toBe(start)
    tf.dispose([xs, ys])
  })

  test('bad cadence is INVALID_OPTION', () => {
    const probe = instrument(mlp())
    expect(() => trainingCallback(probe, { every: { batches: 0 }, snapshot: true })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    )
    expect(() => trainingCallback(probe, { every: { batches: 1.5 }, snapshot: true })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    )
    expect(() => trainingCallback(probe, { every: { epochs: 1 } })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
    probe.dispose()
  })
})

describe('the schedule never stops training', () => {
  test('a reducer failing under snapshot: true leaves fit running; schedule.error says why', async () => {
    let calls = 0
    const flaky: Reducer<{ n: number }, number> = {
      name: 'flaky',
      init: () => ({ n: 0 }),
      update: (s) => {
        if (++calls > 3) throw new Error('flaky')
        return { n: s.n + 1 }
      },
      merge: (a, b) => ({ n: a.n + b.n }),
      result: (s) => s.n,
    }
    const model = mlp()
    const probe = instrument(model, { reducers: { flaky } })
    const schedule = trainingCallback(probe, { every: { batches: 1 }, snapshot: true })
    const { xs, ys } = data(32)
    await expect(model.fit(xs, ys, { epochs: 1, batchSize: 8, callbacks: [schedule] })).resolves.toBeDefined()
    expect(schedule.error).toMatchObject({ code: 'REDUCER_FAILED', reducer: 'flaky' })
    expect(schedule.stream.entries.length).toBeGreaterThan(0)
    tf.dispose([xs, ys])
    probe.dispose()
  })
})

describe('local complexity on schedule', () => {
  test('each point holds the local complexity of the inputs, equal to a direct call; it survives stringify', async () => {
    const model = mlp(3, [12, 16, 16, 3])
    const { xs, ys } = data(48)
    const inputs = tf.slice(xs, [0], [4])
    const probe = instrument(model)
    const options = { radius: 1.5, lines: 3, seed: 4 }
    const schedule = trainingCallback(probe, { every: { batches: 3 }, localComplexity: { inputs, ...options } })
    await model.fit(xs, ys, { epochs: 1, batchSize: 8, callbacks: [schedule] })
    const entries = schedule.timeline.entries
    expect(entries.map((e) => e.step)).toEqual([0, 3, 6])
    const direct = await localComplexity(model, inputs, options)
    expect(entries[2]!.localComplexity!.perInput).toEqual(direct.perInput)
    expect(entries[2]!.localComplexity!.mean).toBe(direct.mean)
    const rows = schedule.timeline.series().filter((r) => r.metric === 'localComplexity')
    expect(rows.map((r) => [r.step, r.site])).toEqual([
      [0, 'network'],
      [3, 'network'],
      [6, 'network'],
    ])
    expect(Timeline.parse(schedule.timeline.stringify()).entries[1]!.localComplexity).toEqual(entries[1]!.localComplexity)
    // the training stream recorded only training and its own passes, not the walks
    expect(probe.counters()[probe.sites[0]!.id]!.rows).toBe(48)
    probe.dispose()
    expect(() => trainingCallback(instrument(model), { every: { batches: 1 }, localComplexity: { inputs, radius: -1 } })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    )
    tf.dispose([xs, ys, inputs])
  })
})

describe("the reference's protocol", () => {
  test('every step during the early phase, then on the cadence; in training mode, leaving the model as it was', async () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.dense({
          inputShape: [12],
          units: 16,
          activation: 'relu',
          kernelInitializer: tfl.initializers.glorotNormal({ seed: 1 }),
        }),
        tfl.layers.batchNormalization(),
        tfl.layers.dense({ units: 8, activation: 'relu', kernelInitializer: tfl.initializers.glorotNormal({ seed: 2 }) }),
        tfl.layers.dense({ units: 3, activation: 'softmax' }),
      ],
    })
    model.compile({ optimizer: tf.train.sgd(0.05), loss: 'categoricalCrossentropy' })
    const { xs, ys } = data(64)
    const probe = instrument(model)
    const schedule = trainingCallback(probe, {
      ...hartmannProtocol,
      every: { epochs: 0.5 },
      early: { batches: 3 },
      measure: xs,
      batchSize: 16,
    })
    await model.fit(xs, ys, { epochs: 2, batchSize: 16, callbacks: [schedule] })
    // 4 steps per epoch: 0 (init), 1, 2, 3 (early), then every 2 steps: 4, 6, 8 (end)
    expect(schedule.timeline.entries.map((e) => e.step)).toEqual([0, 1, 2, 3, 4, 6, 8])
    // the last point equals a training-mode measurement of the trained model
    const weights = model.getWeights().map((w) => Array.from(w.dataSync()))
    const again = await probe.measure(xs, { batchSize: 16, training: true })
    expect(model.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(weights)
    const id = probe.sites[0]!.id
    expect(schedule.timeline.entries.at(-1)!.results[id]!.patterns.distinct).toBe(again[id]!.patterns.distinct)
    const inference = await probe.measure(xs, { batchSize: 16 })
    expect(Array.from(inference[probe.sites[1]!.id]!.units.frequency)).not.toEqual(Array.from(again[probe.sites[1]!.id]!.units.frequency))
    expect(() => trainingCallback(probe, { every: { batches: 1 }, measure: xs, early: { steps: 2 } as never })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    )
    probe.dispose()
    tf.dispose([xs, ys])
  })
})

test('early in epochs measures every step of an epoch whose length is not known yet (fitDataset without a size)', async () => {
  const model = mlp(6)
  const { xs, ys } = data(32)
  const probe = instrument(model)
  const dataset = tfd.zip({ xs: tfd.array(tf.unstack(xs)), ys: tfd.array(tf.unstack(ys)) }).batch(8)
  const schedule = trainingCallback(probe, { every: { epochs: 0.5 }, early: { epochs: 1 }, measure: xs })
  await model.fitDataset(dataset, { epochs: 2, callbacks: [schedule] })
  // 4 batches per epoch, learned at the end of the first: every step of epoch 1, then every 2
  expect(schedule.timeline.entries.map((e) => e.step)).toEqual([0, 1, 2, 3, 4, 6, 8])
  probe.dispose()
  tf.dispose([xs, ys])
})

test('trainingCallback checks the probe set and its labels at the call: count, shape, number of inputs', () => {
  const model = mlp(3)
  const probe = instrument(model)
  const { xs } = data(64)
  const wrongShape = tf.zeros([8, 5])
  const two = [xs, xs]
  expect(() => trainingCallback(probe, { every: { batches: 2 }, measure: xs, labels: [0, 1] })).toThrow(
    expect.objectContaining({
      code: 'INVALID_OPTION',
      message: expect.stringContaining('labels has 2 entries, and the probe set 64 examples'),
    }),
  )
  expect(() => trainingCallback(probe, { every: { batches: 2 }, measure: wrongShape })).toThrow(
    expect.objectContaining({ code: 'INVALID_OPTION', message: expect.stringContaining('has shape [8, 5], and the model takes [n, 12]') }),
  )
  expect(() => trainingCallback(probe, { every: { batches: 2 }, measure: two })).toThrow(
    expect.objectContaining({ code: 'INVALID_OPTION', message: expect.stringContaining('the model takes 1 inputs') }),
  )
  // the right ones pass
  expect(() =>
    trainingCallback(probe, { every: { batches: 2 }, measure: xs, labels: Array.from({ length: 64 }, (_, i) => i % 3) }),
  ).not.toThrow()
  probe.dispose()
  tf.dispose([xs, wrongShape])
})

test('trainingCallback refuses at the call a disposed probe set, and localComplexity inputs that are disposed, misshapen or not finite', () => {
  const model = mlp(3)
  const probe = instrument(model)
  const gone = tf.zeros([4, 12])
  gone.dispose()
  expect(() => trainingCallback(probe, { every: { batches: 2 }, measure: gone })).toThrow(
    expect.objectContaining({ code: 'INVALID_OPTION', message: expect.stringContaining('disposed') }),
  )
  const wrong = tf.zeros([2, 5])
  const nan = tf.fill([2, 12], Number.NaN)
  for (const inputs of [gone, wrong, nan])
    expect(() => trainingCallback(probe, { every: { batches: 2 }, localComplexity: { inputs, radius: 0.1, lines: 2 } })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    )
  probe.dispose()
  tf.dispose([wrong, nan])
})
