import { tf, tfl } from './tf.js'

/** A small seeded MLP; the same seed gives the same initial weights. */
export function mlp(seed = 1, sizes: number[] = [12, 37, 33, 3]): ReturnType<typeof tfl.sequential> {
  const model = tfl.sequential()
  for (let i = 1; i < sizes.length; i++) {
    const last = i === sizes.length - 1
    model.add(
      tfl.layers.dense({
        ...(i === 1 ? { inputShape: [sizes[0]!] } : {}),
        units: sizes[i]!,
        activation: last ? 'softmax' : 'relu',
        kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + i }),
        biasInitializer: tfl.initializers.randomNormal({ stddev: 0.1, seed: seed + 100 + i }),
      }),
    )
  }
  model.compile({ optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy' })
  return model
}

/** Seeded inputs and one-hot labels. */
export function data(n = 64, features = 12, classes = 3, seed = 5): { xs: tf.Tensor; ys: tf.Tensor } {
  const xs = tf.randomNormal([n, features], 0, 1, 'float32', seed)
  const labels = tf.tidy(() => tf.cast(tf.mul(tf.randomUniform([n], 0, 0.999, 'float32', seed + 1), classes), 'int32'))
  const ys = tf.oneHot(labels as tf.Tensor1D, classes)
  labels.dispose()
  return { xs, ys }
}

/** Every layer of a model, nested models included. */
export function allLayers(model: { layers: unknown[] }): object[] {
  const out: object[] = []
  for (const l of model.layers as { layers?: unknown[] }[]) {
    out.push(l)
    if (Array.isArray(l.layers)) out.push(...allLayers(l as { layers: unknown[] }))
  }
  return out
}

/** Own property names of the model and every layer, to check that nothing was left behind. */
export function ownKeys(model: { layers: unknown[] }): string[][] {
  return [model, ...allLayers(model)].map((o) => Object.getOwnPropertyNames(o).sort())
}

/** All weights as plain arrays. */
export function weightsOf(model: { getWeights(): tf.Tensor[] }): number[][] {
  return model.getWeights().map((w) => Array.from(w.dataSync()))
}
