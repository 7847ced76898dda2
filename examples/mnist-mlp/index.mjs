// Train an MLP on real MNIST and watch its ReLU patterns evolve.
//
//   node examples/mnist-mlp/index.mjs [--train 12000] [--epochs 3] [--every 0.2] [--out examples/mnist-mlp/out]
//
// Measures a fixed probe set (1000 test digits) every fraction of an epoch, prints a
// per-layer table, and writes heatmaps (layer x examples seen) of normalised pattern
// entropy and of weighted Jaccard similarity against the final measurement, plus the
// whole series as CSV.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import * as tf from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'
import '@tensorflow/tfjs-backend-wasm'
import { instrument, trainingCallback } from 'relu-patterns'
import { heatmap, unitHeatmap } from 'relu-patterns/vega'
import { loadMnist } from '../lib/mnist.mjs'
import { writeSvg } from '../lib/render.mjs'

const { values: args } = parseArgs({
  options: {
    train: { type: 'string', default: '12000' },
    epochs: { type: 'string', default: '3' },
    every: { type: 'string', default: '0.2' },
    out: { type: 'string', default: 'examples/mnist-mlp/out' },
    quiet: { type: 'boolean', default: false },
  },
})

await tf.setBackend('wasm')
mkdirSync(args.out, { recursive: true })
const train = loadMnist('train', 0, Number(args.train))
const test = loadMnist('test', 0, 1000)
const xs = tf.tensor2d(train.pixels, [train.count, 784])
const ys = tf.oneHot(tf.tensor1d(train.labels, 'int32'), 10)
const probeSet = tf.tensor2d(test.pixels, [test.count, 784])

const model = tfl.sequential({
  layers: [
    tfl.layers.dense({ inputShape: [784], units: 256, activation: 'relu', name: 'dense1' }),
    tfl.layers.dense({ units: 128, activation: 'relu', name: 'dense2' }),
    tfl.layers.dense({ units: 64, activation: 'relu', name: 'dense3' }),
    tfl.layers.dense({ units: 32, activation: 'relu', name: 'dense4' }),
    tfl.layers.dense({ units: 10, activation: 'softmax', name: 'out' }),
  ],
})
model.compile({ optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy', metrics: ['accuracy'] })

const probe = instrument(model)
const schedule = trainingCallback(probe, {
  every: { epochs: Number(args.every) },
  measure: probeSet,
  labels: test.labels,
  batchSize: 500,
  keep: 'patterns', // every probe pattern, for flip rates (1000 x 480 bits per measurement)
})
const started = Date.now()
const history = await model.fit(xs, ys, { epochs: Number(args.epochs), batchSize: 64, verbose: 0, callbacks: [schedule] })
const seconds = (Date.now() - started) / 1000

const { timeline } = schedule
const last = timeline.entries[timeline.entries.length - 1]
const vsFirst = timeline.compare('first').at(-1)
const vsPrevious = timeline.compare('previous').at(-1)
console.log(
  `\n${train.count} digits x ${args.epochs} epochs in ${seconds.toFixed(1)} s on ${tf.getBackend()}, ` +
    `training accuracy ${history.history.acc.at(-1).toFixed(3)}, ${timeline.entries.length} measurements of ${test.count} test digits\n`,
)
const columns = [
  ['layer', 'the ReLU layer'],
  ['units', 'ReLU units'],
  ['dead', 'units never on for any test digit'],
  ['unit H', 'mean entropy of a unit, bits (1: on for half the digits)'],
  ['flips/init', 'share of bits that differ from the first measurement, same digits'],
  ['flips/last', 'share of bits that changed since the previous measurement'],
  ['always on', 'units on for every test digit'],
  ['distinct', 'distinct patterns among the test digits'],
]
const widths = columns.map(([h]) => Math.max(h.length, 8))
const row = (cells) => cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ')
console.log(row(columns.map(([h]) => h)))
console.log(row(widths.map((w) => '-'.repeat(w))))
for (const site of probe.sites) {
  const r = last.results[site.id]
  console.log(
    row([
      site.id,
      site.units,
      r.units.dead,
      r.units.meanEntropy.toFixed(3),
      vsFirst[site.id].flipRate.toFixed(3),
      vsPrevious[site.id].flipRate.toFixed(3),
      r.units.alwaysOn,
      r.patterns.distinct,
    ]),
  )
}
console.log('')
for (const [h, what] of columns) console.log(`  ${h.padEnd(10)} ${what}`)
console.log(
  '  (where nearly every digit has its own pattern, histogram measures such as Jaccard or I(A;L) say little: see docs/findings.md)',
)

const files = [
  await writeSvg(
    heatmap(timeline, { metric: 'patterns.normalizedEntropy', title: 'normalised pattern entropy' }),
    join(args.out, 'entropy.svg'),
  ),
  await writeSvg(
    heatmap(timeline, { metric: 'vsFinal.weightedJaccard', title: 'weighted Jaccard vs final' }),
    join(args.out, 'jaccard-vs-final.svg'),
  ),
  await writeSvg(
    heatmap(timeline, { metric: 'vsFinal.flipRate', title: 'share of bits that differ from the final patterns' }),
    join(args.out, 'flips-vs-final.svg'),
  ),
  await writeSvg(unitHeatmap(timeline, { site: 'dense3' }), join(args.out, 'dense3-units.svg')),
]
writeFileSync(join(args.out, 'series.csv'), timeline.toCSV({ against: ['first', 'final'] }))
files.push(join(args.out, 'series.csv'))
if (!args.quiet) console.log(`\nwrote ${files.join(', ')}`)
probe.dispose()
tf.dispose([xs, ys, probeSet])
