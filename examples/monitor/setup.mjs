// What the monitor experiments share: the digits and out-of-distribution sets, the
// classifier, and its training pinned by a seed (seeded initialisers, a seeded permutation
// per epoch and fit's shuffle off, since fit shuffles with Math.random).
import * as tf from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'
import { hasFashion, loadFashion } from '../lib/fashion.mjs'
import { loadMnist } from '../lib/mnist.mjs'
import { corrupt } from './ood.mjs'

/** Images as a [n, 784] tensor. */
export const t2 = (pixels, n) => tf.tensor2d(pixels, [n, 784])

/** Training digits, held-out training digits, test digits, and the out-of-distribution sets (as many as the test digits). */
export function loadSets(nTrain, nHeld, nTest) {
  const train = loadMnist('train', 0, nTrain)
  const held = loadMnist('train', nTrain, nHeld)
  const test = loadMnist('test', 0, nTest)
  const sets = {
    noise: corrupt(test.pixels, nTest, 'noise'),
    rotation: corrupt(test.pixels, nTest, 'rotation'),
    inversion: corrupt(test.pixels, nTest, 'inversion'),
  }
  if (hasFashion()) sets.fashion = loadFashion(0, nTest).pixels
  else console.log('Fashion-MNIST skipped: install Debian package dataset-fashion-mnist')
  return { train, held, test, sets }
}

/** The MLP 784-256-128-64-10 with seeded initialisers, ending in logits. */
export function makeModel(seed) {
  const init = (i) => tfl.initializers.glorotUniform({ seed: seed * 100 + i })
  const model = tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [784], units: 256, activation: 'relu', kernelInitializer: init(1), name: 'dense1' }),
      tfl.layers.dense({ units: 128, activation: 'relu', kernelInitializer: init(2), name: 'dense2' }),
      tfl.layers.dense({ units: 64, activation: 'relu', kernelInitializer: init(3), name: 'dense3' }),
      // logits: the softmax is in the loss, so that maxLogit and energy see the logits
      tfl.layers.dense({ units: 10, kernelInitializer: init(4), name: 'logits' }),
    ],
  })
  model.compile({ optimizer: tf.train.adam(1e-3), loss: (y, p) => tf.losses.softmaxCrossEntropy(y, p), metrics: ['accuracy'] })
  return model
}

/** A seeded permutation of 0..n-1 (xorshift32 and Fisher-Yates). */
function permutation(n, seed) {
  let s = seed >>> 0 || 1
  const next = () => ((s ^= s << 13), (s ^= s >>> 17), (s ^= s << 5), (s >>> 0) / 4294967296)
  const p = Int32Array.from({ length: n }, (_, i) => i)
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1))
    ;[p[i], p[j]] = [p[j], p[i]]
  }
  return p
}

/** Trains `epochs` epochs, each over a seeded permutation of the examples, with fit's shuffle off. */
export async function trainSeeded(model, pixels, labels, epochs, seed) {
  for (let epoch = 0; epoch < epochs; epoch++) {
    const order = permutation(labels.length, seed * 1000 + epoch + 1)
    const xs = new Float32Array(labels.length * 784)
    const ys = new Int32Array(labels.length)
    order.forEach((from, to) => {
      xs.set(pixels.subarray(from * 784, (from + 1) * 784), to * 784)
      ys[to] = labels[from]
    })
    const x = t2(xs, labels.length)
    const y = tf.oneHot(tf.tensor1d(ys, 'int32'), 10)
    await model.fit(x, y, { epochs: 1, batchSize: 64, shuffle: false, verbose: 0 })
    tf.dispose([x, y])
  }
}
