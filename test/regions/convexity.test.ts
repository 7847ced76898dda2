import { beforeAll, describe, expect, test } from 'vitest'
import { instrument, localComplexity, regionsAlong, trainingCallback } from '../../src/index.js'
import { graphModel, numbers } from '../helpers/graph-json.js'
import { tf, tfl, useCpu } from '../helpers/tf.js'

beforeAll(useCpu)

/** Brute force along a segment: the pattern of every ReLU-like unit (sign, and cap for relu6) at `steps + 1` points; runs of equal patterns. */
function bruteRegions(
  layers: tfl.layers.Layer[],
  model: tfl.LayersModel,
  from: number[],
  to: number[],
  steps: number,
  caps: number[] = [],
): number {
  const sub = tfl.model({ inputs: model.inputs, outputs: layers.map((l) => l.output as tfl.SymbolicTensor) })
  const points = Array.from({ length: steps + 1 }, (_, k) => from.map((x, i) => x + (k / steps) * (to[i]! - x)))
  const outs = [sub.predict(tf.tensor2d(points))].flat() as tf.Tensor[]
  const values = outs.map((o) => tf.tidy(() => tf.reshape(o, [steps + 1, -1]).arraySync() as number[][]))
  tf.dispose(outs)
  let runs = 1
  let prev = ''
  for (let k = 0; k <= steps; k++) {
    const key = values
      .map((v, l) => v[k]!.map((x) => `${x > 0 ? 1 : 0}${caps[l] === undefined ? '' : x >= caps[l]! ? 1 : 0}`).join(''))
      .join('|')
    if (k > 0 && key !== prev) runs++
    prev = key
  }
  return runs
}

function relu6Net(): tfl.Sequential {
  const model = tfl.sequential({
    layers: [tfl.layers.dense({ units: 2, activation: 'relu6', inputShape: [1] }), tfl.layers.dense({ units: 1, activation: 'relu' })],
  })
  model.layers[0]!.setWeights([tf.tensor2d([[1, -0.5]]), tf.tensor1d([-1, 8])])
  model.layers[1]!.setWeights([tf.tensor2d([[-1], [1]]), tf.tensor1d([5.5])])
  return model
}

describe('walks that cannot rely on convexity sample densely and still find every region', () => {
  test('relu6: a bare model is walked with its saturation planes; a live probe without them makes the walk dense', async () => {
    const model = relu6Net()
    const want = bruteRegions([model.layers[0]!, model.layers[1]!], model, [0.1], [30], 200000, [6])
    expect(want).toBeGreaterThan(3)
    const bare = await regionsAlong(model, tf.tensor1d([0.1]), tf.tensor1d([30]), { grid: 1 })
    expect(bare).toMatchObject({ regions: want, sampling: 'bisection', reason: null })
    const probe = instrument(model)
    const live = await regionsAlong(model, tf.tensor1d([0.1]), tf.tensor1d([30]), { grid: 1, tolerance: 1e-4 })
    probe.dispose()
    expect(live.sampling).toBe('dense')
    expect(live.reason).toContain('saturation')
    // the live probe sees signs only: its regions are the sign runs
    expect(live.regions).toBe(bruteRegions([model.layers[0]!, model.layers[1]!], model, [0.1], [30], 200000))
  })

  test('max pooling: dense, equal to brute force', async () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.reshape({ targetShape: [4, 1], inputShape: [4] }),
        tfl.layers.conv1d({
          filters: 2,
          kernelSize: 2,
          activation: 'relu',
          kernelInitializer: tfl.initializers.randomNormal({ seed: 3 }),
          biasInitializer: tfl.initializers.randomNormal({ seed: 4 }),
        }),
        tfl.layers.maxPooling1d({ poolSize: 3 }),
        tfl.layers.flatten(),
        tfl.layers.dense({
          units: 3,
          activation: 'relu',
          kernelInitializer: tfl.initializers.randomNormal({ seed: 5 }),
          biasInitializer: tfl.initializers.randomNormal({ seed: 6 }),
        }),
      ],
    })
    const from = [-2, 1, 0.5, -1]
    const to = [2, -1.5, 1, 2]
    const r = await regionsAlong(model, tf.tensor1d(from), tf.tensor1d(to), { grid: 1, tolerance: 1e-4 })
    expect(r.sampling).toBe('dense')
    expect(r.reason).toContain('MaxPooling1D')
    expect(r.regions).toBe(bruteRegions([model.layers[1]!, model.layers[4]!], model, from, to, 100000))
  })

  test('a subset of sites: dense, equal to brute force on that subset', async () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.dense({ units: 2, activation: 'relu', inputShape: [1], name: 'a' }),
        tfl.layers.dense({ units: 1, activation: 'relu', name: 'b' }),
      ],
    })
    model.layers[0]!.setWeights([tf.tensor2d([[1, -1]]), tf.tensor1d([0, 0])])
    model.layers[1]!.setWeights([tf.tensor2d([[1], [1]]), tf.tensor1d([-1])]) // b = relu(|x| - 1)
    const r = await regionsAlong(model, tf.tensor1d([-3]), tf.tensor1d([3.1]), { sites: ['b'], grid: 1, tolerance: 1e-4 })
    expect(r).toMatchObject({ regions: 3, sampling: 'dense' })
    expect(r.reason).toContain('"a"')
  })

  test('a graph model with control flow is a coded error, not a bare one', async () => {
    const model = graphModel({
      input: [-1, 2],
      nodes: [
        { name: 'mm', op: 'MatMul', input: ['x', 'w'], attr: { transpose_a: { b: false }, transpose_b: { b: false } } },
        { name: 'r0', op: 'Relu', input: ['mm'] },
        { name: 'sw', op: 'Switch', input: ['r0', 'pred'] },
        { name: 'r1', op: 'Relu', input: ['sw:1'] },
        { name: 'id0', op: 'Identity', input: ['sw'] },
        { name: 'm', op: 'Merge', input: ['r1', 'id0'], attr: { N: { i: '2' } } },
      ],
      consts: { w: { shape: [2, 2], values: numbers(4, 3) }, pred: { shape: [], values: [1] } },
      outputs: ['m'],
    })
    const before = tf.memory().numTensors
    await expect(regionsAlong(model, tf.tensor1d([0, 0]), tf.tensor1d([1, 1]))).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    expect(tf.memory().numTensors).toBe(before + 2)
  })
})

describe('options of the walks are checked where they are given', () => {
  test('the schedule refuses bad localComplexity options at the call', () => {
    const model = relu6Net()
    const probe = instrument(model)
    const inputs = tf.tensor2d([[1]])
    for (const bad of [{ lines: 0 }, { grid: 0 }, { tolerance: 2 }, { seed: 0.5 }, { batchSize: 0 }, { sites: ['x'] }, { radiu: 1 }]) {
      expect(
        () => trainingCallback(probe, { every: { batches: 1 }, localComplexity: { inputs, radius: 1, ...bad } as never }),
        JSON.stringify(bad),
      ).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
    }
    probe.dispose()
  })

  test('localComplexity reports how it sampled', async () => {
    const r = await localComplexity(relu6Net(), tf.tensor2d([[2], [7]]), { radius: 0.5, lines: 1 })
    expect(r).toMatchObject({ sampling: 'bisection', reason: null })
  })
})
