import { beforeAll, describe, expect, test } from 'vitest'
import { instrument } from '../../src/index.js'
import { mlp, weightsOf } from '../helpers/models.js'
import { collect, signRows, tf, tfl, unpackRows, useCpu } from '../helpers/tf.js'

beforeAll(useCpu)

function bnModel() {
  const model = tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [5], units: 7, kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }) }),
      tfl.layers.batchNormalization({ name: 'bn', momentum: 0.5 }),
      tfl.layers.reLU({ name: 'act' }),
      tfl.layers.dense({ units: 2 }),
    ],
  })
  // moving statistics far from the batch statistics, so the two modes give different patterns
  const bn = model.getLayer('bn')
  const [gamma, beta, mean, variance] = bn.getWeights()
  bn.setWeights([gamma!, beta!, tf.fill(mean!.shape, 3), tf.fill(variance!.shape, 0.01)])
  return model
}

describe('measure({ training: true }) uses batch statistics and changes no weight', () => {
  test('patterns equal a brute-force training-mode pass; every weight is bit-identical after', async () => {
    const model = bnModel()
    const x = tf.randomNormal([12, 5], 0, 1, 'float32', 21)
    const saved = model.getWeights().map((w) => tf.clone(w))
    // brute force on batches of 4, restoring the weights the pass moved
    const act = tfl.model({ inputs: model.inputs, outputs: model.getLayer('act').output as never })
    const want: boolean[][] = []
    for (let i = 0; i < 12; i += 4) {
      const out = act.apply(tf.slice(x, i, 4), { training: true }) as tf.Tensor
      want.push(...signRows(out.dataSync(), 7))
    }
    model.setWeights(saved)
    const before = weightsOf(model)
    const inference = signRows((act.predict(x) as tf.Tensor).dataSync(), 7)
    expect(want).not.toEqual(inference)

    const probe = instrument(model, { reducers: { bits: collect() } })
    const tensors = tf.memory().numTensors
    const measured = await probe.measure(x, { training: true, batchSize: 4 })
    expect(tf.memory().numTensors).toBe(tensors)
    expect(unpackRows(measured['act']!.bits)).toEqual(want)
    expect(weightsOf(model)).toEqual(before)
    const again = await probe.measure(x, { training: true, batchSize: 4 })
    expect(again['act']!.bits.words).toEqual(measured['act']!.bits.words)
    expect(unpackRows((await probe.measure(x))['act']!.bits)).toEqual(inference)
    probe.dispose()
  })
})

describe('bad input is INVALID_INPUT with a message that says what to do', () => {
  const cases: [string, () => tf.Tensor | tf.Tensor[], RegExp][] = [
    ['wrong feature size', () => tf.ones([3, 11]), /expects \[any, 12\]/],
    ['wrong rank', () => tf.ones([3, 12, 1]), /shape \[3, 12, 1\]/],
    ['too many tensors', () => [tf.ones([3, 12]), tf.ones([3, 12])], /1 input but measure\(\) got 2 tensors/],
    ['an empty array', () => [], /empty array/],
    [
      'a disposed tensor',
      () => {
        const t = tf.ones([3, 12])
        t.dispose()
        return t
      },
      /disposed/,
    ],
  ]
  test.each(cases)('%s', async (_name, input, message) => {
    const probe = instrument(mlp())
    const error = await probe.measure(input()).then(
      () => null,
      (e: unknown) => e,
    )
    expect(error).toMatchObject({ code: 'INVALID_INPUT' })
    expect((error as Error).message).toMatch(message)
    probe.dispose()
  })

  test('an error tfjs raises inside the forward pass is INVALID_INPUT with it as the cause', async () => {
    const probe = instrument(mlp())
    const x = tf.tensor(
      Array.from({ length: 24 }, () => 'a'),
      [2, 12],
      'string',
    )
    const error = await probe.measure(x).then(
      () => null,
      (e: unknown) => e,
    )
    expect(error).toMatchObject({ code: 'INVALID_INPUT' })
    expect((error as Error).cause).toBeDefined()
    probe.dispose()
  })

  test('input with no examples gives empty results (zero rows), like an empty dataset', async () => {
    const probe = instrument(mlp())
    const id = probe.sites[0]!.id
    const empty = tf.zeros([0, 12])
    const r = await probe.measure(empty)
    expect(r[id]!.units.rows).toBe(0)
    expect(r[id]!.patterns).toMatchObject({ rows: 0, distinct: 0, entropy: 0 })
    const withLabels = await probe.measure(empty, { labels: [] })
    expect(withLabels[id]!.patterns.conditionalEntropy).toBeNull()
    empty.dispose()
    probe.dispose()
  })

  test('labels of the wrong kind are coded errors', async () => {
    const probe = instrument(mlp())
    const x = tf.ones([3, 12])
    await expect(probe.measure(x, { labels: [1, 2] })).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    await expect(probe.measure(x, { labels: [1, 2, 2.5] })).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    await expect(probe.measure(x, { labels: 'abc' as never })).rejects.toMatchObject({ code: 'INVALID_OPTION' })
    const l2 = tf.zeros([3, 1], 'int32')
    await expect(probe.measure(x, { labels: l2 })).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    l2.dispose()
    x.dispose()
    probe.dispose()
  })
})

describe('more input the model cannot take', () => {
  test('a scalar, or an empty batch of the wrong shape, is INVALID_INPUT (not an empty result)', async () => {
    const probe = instrument(mlp())
    for (const x of [tf.scalar(1), tf.zeros([0, 99])]) {
      await expect(probe.measure(x)).rejects.toMatchObject({ code: 'INVALID_INPUT' })
      x.dispose()
    }
    probe.dispose()
  })

  test('a dataset of { xs: { name: tensor } } is fed by input name, not key order; wrong names are INVALID_INPUT', async () => {
    const a = tfl.input({ shape: [4], name: 'a' })
    const b = tfl.input({ shape: [4], name: 'b' })
    const da = tfl.layers.dense({ units: 3, activation: 'relu', name: 'da', kernelInitializer: 'ones' }).apply(a)
    const db = tfl.layers.dense({ units: 3, activation: 'relu', name: 'db', kernelInitializer: 'ones' }).apply(b)
    const model = tfl.model({ inputs: [a, b], outputs: tfl.layers.concatenate().apply([da, db] as never) as never })
    const probe = instrument(model, { reducers: { bits: collect() } })
    const pos = tf.ones([2, 4])
    const neg = tf.neg(tf.ones([2, 4]))
    const direct = await probe.measure([pos, neg])
    const element = () => ({ xs: { b: tf.clone(neg), a: tf.clone(pos) } })
    const dataset = {
      iterator: async () => {
        let done = false
        return { next: async () => (done ? { done: true, value: undefined } : ((done = true), { done: false, value: element() })) }
      },
    }
    const named = await probe.measure(dataset as never)
    expect(named['da']!.bits.words).toEqual(direct['da']!.bits.words)
    expect(named['db']!.bits.words).toEqual(direct['db']!.bits.words)
    const wrong = {
      iterator: async () => ({ next: async () => ({ done: false, value: { xs: { c: tf.ones([2, 4]), a: tf.ones([2, 4]) } } }) }),
    }
    await expect(probe.measure(wrong as never)).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    tf.dispose([pos, neg])
    probe.dispose()
  })

  test('a dataset that throws is INVALID_INPUT with its error as the cause', async () => {
    const probe = instrument(mlp())
    const failing = {
      iterator: async () => ({
        next: async () => {
          throw new Error('disk gone')
        },
      }),
    }
    const error = await probe.measure(failing as never).then(
      () => null,
      (e: unknown) => e,
    )
    expect(error).toMatchObject({ code: 'INVALID_INPUT' })
    expect((error as Error).cause).toEqual(new Error('disk gone'))
    await expect(probe.measure({ iterator: async () => null } as never)).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    probe.dispose()
  })

  test('dispose() while a dataset never yields rejects the measurement at once', async () => {
    const probe = instrument(mlp())
    const stuck = { iterator: async () => ({ next: () => new Promise<never>(() => undefined) }) }
    const measuring = probe.measure(stuck as never)
    await new Promise((r) => setTimeout(r, 5))
    probe.dispose()
    await expect(measuring).rejects.toMatchObject({ code: 'DISPOSED' })
  })

  test('training mode restores frozen weights exactly, constraints and all, without leaking', async () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.dense({
          inputShape: [5],
          units: 6,
          activation: 'relu',
          kernelConstraint: tfl.constraints.maxNorm({ maxValue: 0.1 }),
          kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
        }),
        tfl.layers.batchNormalization(),
        tfl.layers.dense({ units: 2 }),
      ],
    })
    model.layers[0]!.trainable = false
    const before = weightsOf(model)
    const probe = instrument(model)
    const x = tf.randomNormal([8, 5], 0, 1, 'float32', 3)
    const tensors = tf.memory().numTensors
    await probe.measure(x, { training: true, batchSize: 2 })
    expect(tf.memory().numTensors).toBe(tensors)
    expect(weightsOf(model)).toEqual(before)
    x.dispose()
    probe.dispose()
  })
})
