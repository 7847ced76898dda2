// How much do fixed-size hash tables, as the reference implementation of Hartmann et al.
// (2021) counts patterns, bias the readings? Measures a small CNN's conv patterns exactly
// at initialisation and after training, then re-counts the same patterns the reference's
// way (64-bit blocks, its hash, `bin = h mod N`) for table sizes N from far above to far
// below the number of distinct patterns, and reports distinct count, entropy and
// weighted Jaccard (init vs trained) against the exact values.
//
//   node examples/hashed-vs-exact/index.mjs [--train 3000] [--measure 2000] [--out examples/hashed-vs-exact/out]
//   node examples/hashed-vs-exact/index.mjs --run examples/paper-replication/results/<run>.json.gz [--measure 2000]
//
// With --run, the patterns are those of a network trained by examples/paper-replication
// (trained model from its results/models folder), against the same network at initialisation.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { parseArgs } from 'node:util'
import { gunzipSync } from 'node:zlib'
import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-cpu'
import '@tensorflow/tfjs-backend-wasm'
import * as tfl from '@tensorflow/tfjs-layers'
import { compareHistograms, instrument, patternHistogram } from 'relu-patterns'
import { loadMnist } from '../lib/mnist.mjs'
import { network } from '../paper-replication/networks.mjs'
import { entropy, hashed, weightedJaccard } from './hash.mjs'

const { values: args } = parseArgs({
  options: {
    train: { type: 'string', default: '3000' },
    measure: { type: 'string', default: '2000' },
    run: { type: 'string' },
    out: { type: 'string', default: 'examples/hashed-vs-exact/out' },
  },
})
mkdirSync(args.out, { recursive: true })
await tf.setBackend(args.run === undefined ? 'cpu' : 'wasm')
const measureSet = loadMnist('train', 0, Number(args.measure))
const px = tf.tensor4d(measureSet.pixels, [measureSet.count, 28, 28, 1])
const histogram = { patterns: patternHistogram({ maxBytes: 2 ** 30 }) }

/** Before and after: a small CNN trained here, or a network of examples/paper-replication at initialisation and trained. */
async function measurements() {
  if (args.run !== undefined) {
    // --run results/<name>.json.gz: the initial network rebuilt from its seeds, the trained one from results/models/<name>
    const run = JSON.parse(gunzipSync(readFileSync(args.run)).toString())
    const dir = join(dirname(args.run), 'models', basename(args.run, '.json.gz'))
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'))
    const weightData = new Uint8Array(readFileSync(join(dir, 'weights.bin'))).buffer
    const trained = await tfl.loadLayersModel(
      tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData }),
    )
    const initial = network(run.config)
    // the protocol of the runs: batch statistics, the first training digits
    const measure = async (model) => {
      const probe = instrument(model, { reducers: histogram })
      const m = await probe.measurePatterns(px, { batchSize: 250, training: true })
      return { m, probe }
    }
    const a = await measure(initial)
    const b = await measure(trained)
    console.log(
      `${run.config.family} (seed ${run.config.seed}, test accuracy ${run.testAccuracy}) at initialisation and trained; measured ${measureSet.count} training digits in training mode`,
    )
    return { before: a.m, after: b.m, sites: b.probe.sites, dispose: () => [a, b].forEach((x) => x.probe.dispose()) }
  }
  const init = (s) => ({ kernelInitializer: tfl.initializers.heNormal({ seed: s }) })
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 16, kernelSize: 3, activation: 'relu', name: 'conv16', ...init(1) }),
      tfl.layers.conv2d({ filters: 32, kernelSize: 3, strides: 2, activation: 'relu', name: 'conv32', ...init(2) }),
      tfl.layers.conv2d({ filters: 64, kernelSize: 3, strides: 2, activation: 'relu', name: 'conv64', ...init(3) }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 10, activation: 'softmax', ...init(4) }),
    ],
  })
  model.compile({ optimizer: tf.train.sgd(0.05), loss: 'categoricalCrossentropy', metrics: ['accuracy'] })
  const train = loadMnist('train', 0, Number(args.train))
  const xs = tf.tensor4d(train.pixels, [train.count, 28, 28, 1])
  const ys = tf.oneHot(tf.tensor1d(train.labels, 'int32'), 10)
  const probe = instrument(model, { reducers: histogram })
  const before = await probe.measurePatterns(px, { batchSize: 250 })
  const history = await model.fit(xs, ys, { epochs: 1, batchSize: 32, shuffle: false, verbose: 0 })
  const after = await probe.measurePatterns(px, { batchSize: 250 })
  tf.dispose([xs, ys])
  console.log(
    `trained on ${train.count} digits for 1 epoch (training accuracy ${history.history.acc[0].toFixed(3)}); measured ${measureSet.count} training digits, rows = digits x positions`,
  )
  return { before, after, sites: probe.sites, dispose: () => probe.dispose() }
}
const { before, after, sites, dispose } = await measurements()

const results = []
const fills = [0.01, 0.1, 0.5, 1, 2, 5]
for (const site of sites) {
  const a = before.patterns[site.id].histogram
  const b = after.patterns[site.id].histogram
  const rows = b.rows
  const exact = {
    distinct: b.table.size,
    entropy: entropy(
      b.table.counts.filter((c) => c > 0),
      rows,
    ),
    wJI: compareHistograms(a, b).weightedJaccard,
  }
  const cache = new Map()
  const huge = Number.POSITIVE_INFINITY
  const sizes = [huge, ...fills.map((f) => Math.max(1, Math.round(exact.distinct / f)))]
  for (const N of sizes) {
    const hb = hashed(b, N, cache)
    const ha = hashed(a, N, cache)
    const row = {
      site: site.id,
      channels: site.units,
      rows,
      N: N === huge ? 'no table' : N,
      fill: N === huge ? 0 : exact.distinct / N,
      distinct: exact.distinct,
      bins: hb.size,
      entropy: exact.entropy,
      hashedEntropy: entropy([...hb.values()], rows),
      wJI: exact.wJI,
      hashedWJI: weightedJaccard(ha, hb),
    }
    results.push(row)
  }
}
writeFileSync(join(args.out, 'results.json'), JSON.stringify({ args, results }, null, 1))
const pad = (s, n) => String(s).padStart(n)
console.log(
  ['site', 'fill', 'N', 'distinct', 'bins', 'H exact', 'H hashed', 'wJI exact', 'wJI hashed'].map((h, i) => pad(h, i ? 11 : 8)).join(''),
)
for (const r of results) {
  console.log(
    [
      pad(r.site, 8),
      pad(r.fill.toFixed(2), 11),
      pad(r.N, 11),
      pad(r.distinct, 11),
      pad(r.bins, 11),
      pad(r.entropy.toFixed(3), 11),
      pad(r.hashedEntropy.toFixed(3), 11),
      pad(r.wJI.toFixed(4), 11),
      pad(r.hashedWJI.toFixed(4), 11),
    ].join(''),
  )
}
console.log(`wrote ${join(args.out, 'results.json')}`)
dispose()
px.dispose()
