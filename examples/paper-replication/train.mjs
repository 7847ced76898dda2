// One training run of the small-scale replication of Hartmann, Franzen & Brodehl (2021):
// a pre-activation residual CNN, the same without shortcuts, or a constant-width "toy"
// CNN, trained on MNIST or Fashion-MNIST on the wasm backend, measured with the paper's
// protocol (a fixed subset of the unaugmented training split, batch statistics, every
// 0.2 epoch, every step early on). Writes one small gzipped JSON file of the paper's
// measures, and the trained model under results/models/.
//
//   node examples/paper-replication/train.mjs --family resnet --seed 1
//     [--dataset mnist|fashion] [--schedule onecycle|step|cyclic] [--lr 0.1] [--epochs 2]
//     [--width 16] [--blocks 2] [--batch 64] [--train 60000] [--probe 500]
//     [--early 100] [--every 0.2] [--out examples/paper-replication/results] [--force]
//     [--checkpoints DIR]
//
// With --checkpoints, the weights are also written (float32, in getWeights order) before
// training and after steps 10, 20, ..., 100 and every 0.2 epoch: flips.mjs measures the
// patterns of any probe set at those times from them. Writing them reads the weights
// only, so the run and its results file are the same with and without.
//
// summarize.mjs turns the files of several runs into tables and figures; the commands
// and what they show are in docs/findings.md.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { parseArgs } from 'node:util'
import * as tf from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'
import '@tensorflow/tfjs-backend-wasm'
import { instrument, patternHistogram, trainingCallback, unitStats } from 'relu-patterns'
import { loadFashionSplit } from '../lib/fashion.mjs'
import { loadMnist } from '../lib/mnist.mjs'
import { registerWasmConvGradients } from '../lib/wasm-conv.mjs'
import { network } from './networks.mjs'
import { learningRate, setLearningRate } from './schedules.mjs'

const { values: args } = parseArgs({
  options: {
    family: { type: 'string', default: 'resnet' },
    seed: { type: 'string', default: '1' },
    dataset: { type: 'string', default: 'mnist' },
    schedule: { type: 'string', default: 'onecycle' },
    lr: { type: 'string', default: '0.1' },
    epochs: { type: 'string', default: '2' },
    width: { type: 'string', default: '16' },
    blocks: { type: 'string', default: '2' },
    batch: { type: 'string', default: '64' },
    train: { type: 'string', default: '60000' },
    test: { type: 'string', default: '10000' },
    probe: { type: 'string', default: '500' },
    early: { type: 'string', default: '100' },
    every: { type: 'string', default: '0.2' },
    out: { type: 'string', default: 'examples/paper-replication/results' },
    force: { type: 'boolean', default: false },
    checkpoints: { type: 'string' },
  },
})
const num = (k) => {
  const v = Number(args[k])
  if (!Number.isFinite(v) || v < 0) throw new Error(`--${k} must be a number, not ${args[k]}`)
  return v
}
const config = {
  family: args.family,
  seed: num('seed'),
  dataset: args.dataset,
  schedule: args.schedule,
  lr: num('lr'),
  epochs: num('epochs'),
  width: num('width'),
  blocks: num('blocks'),
  batch: num('batch'),
  train: num('train'),
  test: num('test'),
  probe: num('probe'),
  early: num('early'),
  every: num('every'),
}

// the depth sweep's runs (other depths or lengths) are named apart from the main ones
const tag = `${config.blocks === 2 ? '' : `-b${config.blocks}`}${config.epochs === 2 ? '' : `-e${config.epochs}`}`
const file = join(args.out, `${config.dataset}-${config.family}-${config.schedule}-w${config.width}-s${config.seed}${tag}.json.gz`)
const running = `${file}.running` // another process is on this run (run.sh runs two at a time)
if ((existsSync(file) || existsSync(running)) && !args.force) {
  console.log(`${file} ${existsSync(file) ? 'exists' : 'is running'} (--force runs it again)`)
  process.exit(0)
}
mkdirSync(args.out, { recursive: true })
writeFileSync(running, String(process.pid))

registerWasmConvGradients()
await tf.setBackend('wasm')
const load = config.dataset === 'fashion' ? loadFashionSplit : config.dataset === 'mnist' ? loadMnist : null
if (load === null) throw new Error(`--dataset must be mnist or fashion, not ${config.dataset}`)

const train = load('train', 0, config.train)
const test = load('test', 0, config.test)
const images = (set) => tf.tensor4d(set.pixels, [set.count, 28, 28, 1])
const xs = images(train)
const ys = tf.oneHot(tf.tensor1d(train.labels, 'int32'), 10)
// the probe set: a fixed subset of the training split, in order, unaugmented
const probeXs = tf.slice(xs, 0, config.probe)
const probeLabels = train.labels.slice(0, config.probe)

const model = network(config)
const probe = instrument(model, { reducers: { units: unitStats(), patterns: patternHistogram() } })
const stepsPerEpoch = Math.ceil(config.train / config.batch)
const totalSteps = stepsPerEpoch * config.epochs
const schedule = trainingCallback(probe, {
  every: { epochs: config.every },
  early: { batches: config.early },
  training: true,
  measure: probeXs,
  labels: probeLabels,
  batchSize: 250,
})
let step = 0
// the weights at chosen steps, for flips.mjs
const checkpointDir = args.checkpoints === undefined ? null : join(args.checkpoints, basename(file, '.json.gz'))
const gridSteps = Math.max(1, Math.round(config.every * stepsPerEpoch))
const checkpointAt = (s) => s === 0 || (s <= 100 && s % 10 === 0) || s % gridSteps === 0 || s === totalSteps
const writeCheckpoint = () => {
  const weights = model.getWeights().map((w) => w.dataSync())
  const all = new Float32Array(weights.reduce((n, w) => n + w.length, 0))
  let at = 0
  for (const w of weights) {
    all.set(w, at)
    at += w.length
  }
  writeFileSync(join(checkpointDir, `step-${String(step).padStart(5, '0')}.bin`), new Uint8Array(all.buffer))
}
if (checkpointDir !== null) {
  // a run's checkpoints are all of this run: none left from an earlier one
  rmSync(checkpointDir, { recursive: true, force: true })
  mkdirSync(checkpointDir, { recursive: true })
  writeFileSync(join(checkpointDir, 'config.json'), JSON.stringify({ ...config, stepsPerEpoch, totalSteps }))
  writeCheckpoint()
}
const lrCallback = new tfl.CustomCallback({
  onBatchBegin: () => setLearningRate(model, learningRate(config.schedule, config.lr, step / totalSteps, config.epochs)),
  onBatchEnd: () => {
    step++
    if (checkpointDir !== null && checkpointAt(step)) writeCheckpoint()
  },
})

const started = Date.now()
const history = await model.fit(xs, ys, {
  epochs: config.epochs,
  batchSize: config.batch,
  shuffle: false, // a fixed order: runs reproduce exactly
  verbose: 0,
  callbacks: [lrCallback, schedule],
})
const trainSeconds = (Date.now() - started) / 1000

const testAccuracy = tf.tidy(() => {
  const predicted = tf.argMax(model.predict(images(test), { batchSize: 500 }), 1)
  return tf.mean(tf.cast(tf.equal(predicted, tf.tensor1d(test.labels, 'int32')), 'float32')).dataSync()[0]
})

// the paper's measures per entry and site, against the first, previous and final entries
const timeline = schedule.timeline
const threshold = { share: 1e-4 }
const vs = Object.fromEntries(['first', 'previous', 'final'].map((r) => [r, timeline.compare(r, { threshold })]))
const sites = probe.sites.map((s) => s.id)
const round = (v) => (v === null || v === undefined ? null : Math.round(v * 1e5) / 1e5)
const entries = timeline.entries.map((e, i) => ({
  step: e.step,
  epoch: round(e.epoch),
  sites: Object.fromEntries(
    sites.map((id) => {
      const p = e.results[id].patterns
      const u = e.results[id].units
      const against = (r) => {
        const c = vs[r][i]?.[id]
        return c === undefined
          ? null
          : {
              shareChanged: round(c.shareChanged),
              jaccard: round(c.jaccard),
              weightedJaccard: round(c.weightedJaccard),
              thresholdedJaccard: round(c.thresholdedJaccard),
            }
      }
      return [
        id,
        {
          rows: p.rows,
          distinct: p.distinct,
          patternShare: round(p.patternShare),
          normalizedEntropy: round(p.normalizedEntropy),
          topShare: round(p.topShare),
          normalizedConditionalEntropy: round(p.normalizedConditionalEntropy),
          normalizedMutualInformation: round(p.normalizedMutualInformation),
          dead: u.dead,
          alwaysOn: u.alwaysOn,
          vsFirst: against('first'),
          vsPrevious: against('previous'),
          vsFinal: against('final'),
        },
      ]
    }),
  ),
}))

const result = {
  config,
  backend: tf.getBackend(),
  trainSeconds,
  testAccuracy: round(testAccuracy),
  trainAccuracy: history.history.acc.map(round),
  loss: history.history.loss.map(round),
  sites: probe.sites.map((s) => ({ id: s.id, units: s.units, positions: s.positions })),
  entries,
}
mkdirSync(args.out, { recursive: true })
writeFileSync(file, gzipSync(JSON.stringify(result), { level: 9 }))
// the trained model, for examples/hashed-vs-exact (not kept in the repository)
const saved = join(args.out, 'models', basename(file, '.json.gz'))
mkdirSync(saved, { recursive: true })
await model.save(
  tf.io.withSaveHandler(async (artifacts) => {
    const { weightData, weightSpecs, ...rest } = artifacts
    writeFileSync(join(saved, 'weights.bin'), new Uint8Array(weightData))
    writeFileSync(
      join(saved, 'model.json'),
      JSON.stringify({ ...rest, weightsManifest: [{ paths: ['weights.bin'], weights: weightSpecs }] }),
    )
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }
  }),
)
rmSync(running, { force: true })
console.log(`${file}: test accuracy ${testAccuracy.toFixed(4)}, ${entries.length} measurements, ${trainSeconds.toFixed(0)} s`)
probe.dispose()
model.dispose()
tf.dispose([xs, ys, probeXs])
