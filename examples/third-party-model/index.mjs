// Wrap a model someone else built: load model.json + weights from disk, list its ReLU
// sites, and measure them on real digits, including how often the ReLU6 units saturate.
//
//   node examples/third-party-model/index.mjs [path/to/model.json]
//
// The bundled model (model/) is a small MNIST classifier saved with tfjs 4.22's
// model.save(); nothing in this example builds or trains it.
import { fileURLToPath } from 'node:url'
import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-cpu'
import * as tfl from '@tensorflow/tfjs-layers'
import { instrument } from 'relu-patterns'
import { fromDisk } from '../lib/files.mjs'
import { loadMnist } from '../lib/mnist.mjs'

await tf.setBackend('cpu')
const path = process.argv[2] ?? fileURLToPath(new URL('./model/model.json', import.meta.url))
const model = await tfl.loadLayersModel(fromDisk(path))
const probe = instrument(model, { saturation: true })

console.log(`${model.name}: ${model.layers.length} layers, ${probe.sites.length} recorded sites`)
const pad = (s, n) => String(s).padEnd(n)
console.log(`${pad('site', 14)}${pad('class', 9)}${pad('activation', 12)}${pad('units', 7)}positions`)
for (const s of probe.sites) {
  console.log(
    `${pad(s.id, 14)}${pad(s.className, 9)}${pad(s.plane === 'saturation' ? 'at cap' : s.activation, 12)}${pad(s.units, 7)}${s.positions}`,
  )
}

const digits = loadMnist('test', 0, 500)
const x = tf.tensor4d(digits.pixels, [digits.count, 28, 28, 1])
const results = await probe.measure(x, { labels: digits.labels, batchSize: 100 })
console.log(`\non ${digits.count} test digits:`)
for (const s of probe.sites) {
  const { units, patterns } = results[s.id]
  const share = units.frequency.reduce((a, b) => a + b, 0) / units.units
  const what = s.plane === 'saturation' ? 'saturated' : 'on'
  console.log(
    `${pad(s.id, 14)}${(100 * share).toFixed(1).padStart(5)}% ${pad(what, 10)} ${String(units.dead).padStart(3)} dead  ` +
      `${String(patterns.distinct).padStart(6)} distinct  H/Hmax ${patterns.normalizedEntropy.toFixed(3)}  I(A;L) ${patterns.mutualInformation.toFixed(3)} bits`,
  )
}
probe.dispose()
x.dispose()
