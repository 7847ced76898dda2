// Has the model seen this before? A pattern monitor on an MNIST classifier, evaluated on
// held-out digits (in distribution) against Fashion-MNIST and corrupted digits, next to
// the maximum-softmax-probability baseline (Hendrycks & Gimpel 2017).
//
//   node examples/monitor/index.mjs [--train 20000] [--epochs 4] [--seeds 1,2,3] [--test 2000] [--held 2000]
//                                   [--sites dense2,dense3] [--out examples/monitor/out]
//
// Fashion-MNIST comes from Debian's dataset-fashion-mnist package; without it that set is
// skipped (and said so). Writes results.json and roc.svg (seed of the first run).
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import * as tf from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'
import '@tensorflow/tfjs-backend-wasm'
import { buildMonitor } from 'relu-patterns'
import { hasFashion, loadFashion } from '../lib/fashion.mjs'
import { loadMnist } from '../lib/mnist.mjs'
import { writeSvg } from '../lib/render.mjs'
import { auroc, corrupt, fprAt95, rocPoints } from './ood.mjs'

const { values: args } = parseArgs({
  options: {
    train: { type: 'string', default: '20000' },
    epochs: { type: 'string', default: '4' },
    seeds: { type: 'string', default: '1,2,3' },
    test: { type: 'string', default: '2000' },
    held: { type: 'string', default: '2000' },
    sites: { type: 'string', default: 'dense2,dense3' },
    out: { type: 'string', default: 'examples/monitor/out' },
  },
})
await tf.setBackend('wasm')
mkdirSync(args.out, { recursive: true })
const nTrain = Number(args.train)
const nTest = Number(args.test)
const nHeld = Number(args.held)
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
const t2 = (pixels, n) => tf.tensor2d(pixels, [n, 784])

function makeModel(seed) {
  const init = (i) => tfl.initializers.glorotUniform({ seed: seed * 100 + i })
  const model = tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [784], units: 256, activation: 'relu', kernelInitializer: init(1), name: 'dense1' }),
      tfl.layers.dense({ units: 128, activation: 'relu', kernelInitializer: init(2), name: 'dense2' }),
      tfl.layers.dense({ units: 64, activation: 'relu', kernelInitializer: init(3), name: 'dense3' }),
      tfl.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: init(4), name: 'out' }),
    ],
  })
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy', metrics: ['accuracy'] })
  return model
}

/** 1 - the largest softmax probability: higher means less confident (the baseline's score). */
function mspScores(model, x) {
  const y = model.predict(x)
  const s = Array.from(tf.tidy(() => tf.sub(1, tf.max(y, -1))).dataSync())
  y.dispose()
  return s
}

const runs = []
for (const seed of args.seeds.split(',').map(Number)) {
  const model = makeModel(seed)
  const xs = t2(train.pixels, nTrain)
  const ys = tf.oneHot(tf.tensor1d(train.labels, 'int32'), 10)
  const started = Date.now()
  await model.fit(xs, ys, { epochs: Number(args.epochs), batchSize: 64, verbose: 0, seed })
  const testX = t2(test.pixels, nTest)
  const predicted = tf.tidy(() => tf.argMax(model.predict(testX), -1)).dataSync()
  const accuracy = predicted.filter((c, i) => c === test.labels[i]).length / nTest
  const monitor = await buildMonitor(model, xs, { labels: train.labels, sites: args.sites.split(',') })
  const calibration = await monitor.calibrate(t2(held.pixels, nHeld), { falseAlarmRate: 0.05 })
  const idChecks = await monitor.check(testX)
  const id = { monitor: idChecks.map((c) => c.score), msp: mspScores(model, testX) }
  const result = {
    seed,
    accuracy,
    trainSeconds: (Date.now() - started) / 1000,
    patterns: monitor.patterns,
    bytes: monitor.bytes,
    threshold: calibration.threshold,
    idFlagged: idChecks.filter((c) => c.verdict === 'out').length / nTest,
    sets: {},
  }
  for (const [name, pixels] of Object.entries(sets)) {
    const x = t2(pixels, nTest)
    const checks = await monitor.check(x)
    const ood = { monitor: checks.map((c) => c.score), msp: mspScores(model, x) }
    result.sets[name] = {
      flagged: checks.filter((c) => c.verdict === 'out').length / nTest,
      monitor: { auroc: auroc(id.monitor, ood.monitor), fpr95: fprAt95(id.monitor, ood.monitor) },
      msp: { auroc: auroc(id.msp, ood.msp), fpr95: fprAt95(id.msp, ood.msp) },
    }
    if (runs.length === 0) result.sets[name].roc = { monitor: rocPoints(id.monitor, ood.monitor), msp: rocPoints(id.msp, ood.msp) }
    x.dispose()
  }
  runs.push(result)
  console.log(
    `seed ${seed}: accuracy ${accuracy.toFixed(3)}, ${monitor.patterns} distinct patterns (${(monitor.bytes / 1024).toFixed(0)} KiB), threshold ${calibration.threshold.toFixed(4)}, ID flagged ${(100 * result.idFlagged).toFixed(1)}%`,
  )
  for (const [name, r] of Object.entries(result.sets)) {
    console.log(
      `  ${name.padEnd(10)} flagged ${(100 * r.flagged).toFixed(1).padStart(5)}%   AUROC monitor ${r.monitor.auroc.toFixed(3)} msp ${r.msp.auroc.toFixed(3)}   FPR95 monitor ${r.monitor.fpr95.toFixed(3)} msp ${r.msp.fpr95.toFixed(3)}`,
    )
  }
  tf.dispose([xs, ys, testX])
  model.dispose()
}

const summary = {}
for (const name of Object.keys(runs[0].sets)) {
  const stat = (f) => {
    const v = runs.map(f)
    const mean = v.reduce((a, b) => a + b, 0) / v.length
    return { mean, min: Math.min(...v), max: Math.max(...v) }
  }
  summary[name] = {
    monitorAuroc: stat((r) => r.sets[name].monitor.auroc),
    mspAuroc: stat((r) => r.sets[name].msp.auroc),
    monitorFpr95: stat((r) => r.sets[name].monitor.fpr95),
    mspFpr95: stat((r) => r.sets[name].msp.fpr95),
    flagged: stat((r) => r.sets[name].flagged),
  }
}
writeFileSync(
  join(args.out, 'results.json'),
  JSON.stringify(
    {
      args,
      summary,
      runs: runs.map(({ sets, ...r }) => ({ ...r, sets: Object.fromEntries(Object.entries(sets).map(([k, { roc, ...v }]) => [k, v])) })),
    },
    null,
    2,
  ),
)

const values = []
for (const [name, r] of Object.entries(runs[0].sets)) {
  for (const [score, points] of Object.entries(r.roc)) for (const p of points) values.push({ set: name, score, ...p })
}
await writeSvg(
  {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `ROC, MNIST vs out-of-distribution sets (seed ${runs[0].seed})`,
    data: { values },
    facet: { field: 'set', type: 'nominal', title: null },
    columns: 4,
    spec: {
      width: 160,
      height: 160,
      mark: { type: 'line', interpolate: 'step-after' },
      encoding: {
        x: { field: 'fpr', type: 'quantitative', title: 'false-positive rate (ID flagged)' },
        y: { field: 'tpr', type: 'quantitative', title: 'true-positive rate (OOD flagged)' },
        color: { field: 'score', type: 'nominal', title: 'score' },
      },
    },
  },
  join(args.out, 'roc.svg'),
)
console.log(`wrote ${join(args.out, 'results.json')} and roc.svg`)
