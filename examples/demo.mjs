// The 30-second tour: train a small MLP on real MNIST and watch its ReLU patterns.
// Run with `npm run demo`.
import * as tf from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'
import '@tensorflow/tfjs-backend-wasm'
import { instrument, patternHistogram, unitStats } from 'relu-patterns'
import { loadMnist } from './lib/mnist.mjs'

await tf.setBackend('wasm')
const train = loadMnist('train', 0, Number(process.env.DEMO_TRAIN ?? 8000))
const probeSet = loadMnist('test', 0, 1000)
const xs = tf.tensor2d(train.pixels, [train.count, 784])
const ys = tf.oneHot(tf.tensor1d(train.labels, 'int32'), 10)
const px = tf.tensor2d(probeSet.pixels, [probeSet.count, 784])

const model = tfl.sequential({
  layers: [
    tfl.layers.dense({ inputShape: [784], units: 128, activation: 'relu', name: 'hidden1' }),
    tfl.layers.dense({ units: 64, activation: 'relu', name: 'hidden2' }),
    tfl.layers.dense({ units: 32, activation: 'relu', name: 'hidden3' }),
    tfl.layers.dense({ units: 10, activation: 'softmax', name: 'out' }),
  ],
})
model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy', metrics: ['accuracy'] })

// Record every training batch (same forward pass as training, no second pass).
const probe = instrument(model, {
  passes: 'training',
  reducers: { units: unitStats(), patterns: patternHistogram() },
})

const row = (cells) => cells.map((c, i) => String(c).padStart(i === 0 ? 8 : 11)).join('')
const table = (title, results) => {
  console.log(`\n${title}`)
  console.log(row(['layer', 'patterns', 'distinct', 'H/Hmax', 'top share', 'dead', 'unit H']))
  for (const site of probe.sites) {
    const r = results[site.id]
    console.log(
      row([
        site.id,
        r.patterns.rows,
        r.patterns.distinct,
        r.patterns.normalizedEntropy.toFixed(3),
        r.patterns.topFraction.toFixed(3),
        `${r.units.dead}/${site.units}`,
        r.units.meanEntropy.toFixed(3),
      ]),
    )
  }
}

const started = Date.now()
table('Probe set (1000 test digits) before training', await probe.measure(px))
for (let epoch = 1; epoch <= 3; epoch++) {
  probe.reset()
  const h = await model.fit(xs, ys, { epochs: 1, batchSize: 64, verbose: 0 })
  const acc = h.history.acc?.[0] ?? h.history.accuracy?.[0]
  table(`Epoch ${epoch}: every training batch (accuracy ${Number(acc).toFixed(3)})`, probe.results())
  table(`Epoch ${epoch}: probe set`, await probe.measure(px))
}
console.log(`\n${train.count} training digits, 3 epochs, ${((Date.now() - started) / 1000).toFixed(1)} s on ${tf.getBackend()}`)
probe.dispose()
tf.dispose([xs, ys, px])
