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
    const x = tf.tensor(Array.from({ length: 24 }, () => 'a'), [2, 12], 'string')
    const error = await probe.measure(x).then(() => null, (e: unknown) => e)
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
