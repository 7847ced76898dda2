// The data the README's and docs' code blocks work on, as real values: a small trained
// MNIST-shaped MLP, its inputs and labels, and a probe made when a block first asks for it.
import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-cpu'
import * as tfl from '@tensorflow/tfjs-layers'
import { instrument, trainingCallback } from 'relu-patterns'

const n = 96
const features = 784

function mnistShaped(): tfl.LayersModel {
  const model = tfl.sequential({
    layers: [
      tfl.layers.dense({
        inputShape: [features],
        units: 32,
        activation: 'relu',
        kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
        name: 'dense1',
      }),
      tfl.layers.dense({ units: 16, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }), name: 'dense2' }),
      tfl.layers.dense({ units: 16, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 4 }), name: 'dense3' }),
      tfl.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }), name: 'out' }),
    ],
  })
  model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' })
  return model
}

/** Sets the givens afresh on globalThis: one model per block, a probe only when the block uses the given one. */
export async function setGivens(): Promise<void> {
  tf.disposeVariables()
  const g = globalThis as Record<string, unknown>
  const model = mnistShaped()
  const xs = tf.randomUniform([n, features], 0, 1, 'float32', 7)
  const labels = Int32Array.from({ length: n }, (_, i) => (i * 7) % 10)
  const ys = tf.oneHot(tf.tensor1d(labels, 'int32'), 10)
  const half = (i: number): tf.Tensor => tf.slice(xs, [i * (n / 2), 0], [n / 2, features])
  // states and a schedule's timeline of this model, made by a probe that is gone again
  const maker = instrument(model)
  const statesA = await maker.measureStates(half(0))
  const statesB = await maker.measureStates(half(1))
  const schedule = trainingCallback(maker, { every: { epochs: 0.5 }, measure: xs, keep: 'patterns' })
  await model.fit(xs, ys, { epochs: 1, batchSize: 32, verbose: 0, callbacks: [schedule] })
  maker.dispose()
  const point = (seed: number): tf.Tensor => tf.randomUniform([1, features], 0, 1, 'float32', seed)
  const values: Record<string, unknown> = {
    model,
    xs,
    ys,
    x: point(11),
    inputs: tf.slice(xs, [0, 0], [8, features]),
    trainXs: xs,
    testXs: xs,
    heldOutXs: half(1),
    incomingXs: half(0),
    probeXs: xs,
    firstHalf: half(0),
    secondHalf: half(1),
    extra: half(1),
    from: point(12),
    to: point(13),
    x0: point(14),
    u: point(15),
    v: point(16),
    trainLabels: labels,
    probeLabels: labels,
    statesA,
    statesB,
    schedule,
  }
  for (const [k, v] of Object.entries(values)) Object.defineProperty(g, k, { value: v, configurable: true, writable: true })
  let probe: unknown
  Object.defineProperty(g, 'probe', {
    configurable: true,
    get: () => {
      probe ??= instrument(model)
      return probe
    },
  })
}
