// A report of a training run, from code (TypeScript): train a small MLP on MNIST with a
// schedule, then write the HTML report of the timeline (heatmaps over training) and of
// the final measurement, and print one row per site.
//
//   npx tsx examples/report/index.ts [--train 3000] [--epochs 2] [--out examples/report/out]
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-wasm'
import * as tfl from '@tensorflow/tfjs-layers'
import { type Measurement, type Results, type DefaultReducers, instrument, summarize, trainingCallback } from 'relu-patterns'
import { renderReport } from 'relu-patterns/report'
import { loadMnist } from '../lib/mnist.mjs'

const { values: args } = parseArgs({
  options: {
    train: { type: 'string', default: '3000' },
    epochs: { type: 'string', default: '2' },
    out: { type: 'string', default: 'examples/report/out' },
  },
})

await tf.setBackend('wasm')
mkdirSync(args.out, { recursive: true })
const train = loadMnist('train', 0, Number(args.train))
const test = loadMnist('test', 0, 500)
const xs = tf.tensor2d(train.pixels, [train.count, 784])
const ys = tf.oneHot(tf.tensor1d(train.labels, 'int32'), 10)
const probeSet = tf.tensor2d(test.pixels, [test.count, 784])

const model = tfl.sequential({
  layers: [
    tfl.layers.dense({ inputShape: [784], units: 128, activation: 'relu', name: 'dense1' }),
    tfl.layers.dense({ units: 64, activation: 'relu', name: 'dense2' }),
    tfl.layers.dense({ units: 10, activation: 'softmax', name: 'out' }),
  ],
})
model.compile({ optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy' })

const probe = instrument(model)
const schedule = trainingCallback(probe, { every: { epochs: 0.25 }, measure: probeSet, labels: test.labels, log: true })
await model.fit(xs, ys, { epochs: Number(args.epochs), batchSize: 64, verbose: 0, callbacks: [schedule] })

const final: Measurement<Results<DefaultReducers>> = await probe.measurePatterns(probeSet, { labels: test.labels })
writeFileSync(join(args.out, 'training.html'), renderReport(schedule.timeline, { title: 'MLP on MNIST: patterns over training' }))
writeFileSync(join(args.out, 'final.html'), renderReport(final, { title: 'MLP on MNIST: after training', meta: { digits: test.count } }))
console.table(summarize(probe))
console.log(`wrote ${join(args.out, 'training.html')} and ${join(args.out, 'final.html')}`)
probe.dispose()
tf.dispose([xs, ys, probeSet])
