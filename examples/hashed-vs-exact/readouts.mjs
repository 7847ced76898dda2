// Does counting patterns in the reference's hash tables change the readout the paper's
// schedule figure uses: the weighted Jaccard index against the final measurement over
// training, and when it reaches 0.5? For each replication run trained with checkpoints
// (examples/paper-replication/train.mjs --checkpoints), the probe set is measured at every
// checkpoint, exactly, then re-counted the reference's way in tables whose size per site
// is the reference's own for the matching layer of ResNet-20 (its Fig. 3 runs), scaled by
// two ways: by the ratio of rows (ours / its), and by the ratio of the most distinct
// patterns a layer can show (its rows, or 2^channels if fewer: a 16-channel layer of the
// reference, 51.2M rows in 404,465 slots, can never fill its table, while its size scaled
// by rows alone would be overfull here). Fill is the distinct patterns of both histograms
// compared (their union) over the table size.
//
//   node examples/hashed-vs-exact/readouts.mjs --checkpoints DIR [--probe 500]
//     [--out examples/hashed-vs-exact/results/readouts.json]
//   node examples/hashed-vs-exact/readouts.mjs --table [--out ...]   (prints the tables of docs/findings.md)
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { parseArgs } from 'node:util'
import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-wasm'
import { compareHistograms, instrument, patternHistogram } from 'relu-patterns'
import { loadMnist } from '../lib/mnist.mjs'
import { checkpointRuns, checkpointsOf, loadCheckpoint } from '../paper-replication/checkpoints.mjs'
import { network } from '../paper-replication/networks.mjs'
import { hashed, weightedJaccard } from './hash.mjs'

const { values: args } = parseArgs({
  options: {
    checkpoints: { type: 'string' },
    probe: { type: 'string', default: '500' },
    runs: { type: 'string' },
    table: { type: 'boolean', default: false },
    out: { type: 'string', default: 'examples/hashed-vs-exact/results/readouts.json' },
  },
})

/**
 * The reference's tables (ResNet-20 and ConvNet-20 as its Fig. 3 runs count, read from its
 * code; reference-tables.json says where): per layer, its size over its rows. Each of our
 * sites stands for the reference's layer in the same place (`layerOf`): the first ReLU
 * after the stem, the stage-1 ReLUs, the first ReLU of stage 2 (16 channels in), the
 * stage-2 ReLUs, the final ReLU.
 */
const REFERENCE = JSON.parse(readFileSync(join(dirname(new URL(import.meta.url).pathname), 'reference-tables.json'), 'utf8'))
function tableSizes(family, id, rows, units) {
  const layer = REFERENCE.layerOf[id]
  const net = REFERENCE.netFactor[family === 'plain' ? 'plain' : 'resnet']
  const sum = REFERENCE.factors.reduce((a, b) => a + b, 0)
  // the reference's own float order: factors / sum, times the net factor, times the base; truncated
  const N = Math.trunc((REFERENCE.factors[layer] / sum) * net * REFERENCE.hashmapSizeFactor)
  const capacity = (r, c) => Math.min(r, 2 ** c)
  const refUnits = REFERENCE.units[layer]
  return {
    byRows: Math.max(1, Math.round((N / REFERENCE.rows[layer]) * rows)),
    byCapacity: Math.max(1, Math.round((N / capacity(REFERENCE.rows[layer], refUnits)) * capacity(rows, units))),
  }
}

/** First epoch at which `v` reaches `level`, interpolated linearly; null if never. */
function reach(epochs, v, level) {
  for (let i = 0; i < v.length; i++) {
    if (v[i] >= level) {
      if (i === 0) return epochs[0]
      return v[i - 1] === v[i] ? epochs[i] : epochs[i - 1] + ((level - v[i - 1]) / (v[i] - v[i - 1])) * (epochs[i] - epochs[i - 1])
    }
  }
  return null
}

if (!args.table) {
  if (args.checkpoints === undefined) throw new Error('--checkpoints DIR: the folder train.mjs --checkpoints wrote')
  await tf.setBackend('wasm')
  const n = Number(args.probe)
  const digits = loadMnist('train', 0, n)
  const x = tf.tensor4d(digits.pixels, [n, 28, 28, 1])
  const dirs = checkpointRuns(args.checkpoints, args.runs)
  const runs = []
  for (const dir of dirs) {
    const started = performance.now()
    const { config, files, steps } = checkpointsOf(args.checkpoints, dir)
    const model = network(config)
    const probe = instrument(model, { reducers: { patterns: patternHistogram({ maxBytes: 2 ** 30 }) } })
    const states = []
    for (const file of files) {
      loadCheckpoint(model, file)
      const m = await probe.measurePatterns(x, { training: true, batchSize: 250 })
      states.push(Object.fromEntries(probe.sites.map((s) => [s.id, m.patterns[s.id].histogram])))
    }
    const final = states.at(-1)
    const sites = {}
    for (const site of probe.sites) {
      const rows = final[site.id].rows
      const sizes = tableSizes(config.family, site.id, rows, site.units)
      const cache = new Map()
      const hashedFinal = Object.fromEntries(Object.entries(sizes).map(([k, N]) => [k, hashed(final[site.id], N, cache)]))
      const exact = []
      const byHash = { byRows: [], byCapacity: [] }
      const fill = { byRows: [], byCapacity: [] }
      for (const s of states) {
        const h = s[site.id]
        exact.push(Math.round(compareHistograms(h, final[site.id]).weightedJaccard * 1e6) / 1e6)
        for (const [k, N] of Object.entries(sizes))
          byHash[k].push(Math.round(weightedJaccard(hashed(h, N, cache), hashedFinal[k]) * 1e6) / 1e6)
        // distinct patterns of the union of both histograms, over the table size
        const union = new Set()
        for (const st of [h, final[site.id]]) {
          const t = st.table
          for (let slot = 0; slot < t.capacity; slot++)
            if (t.counts[slot] !== 0) union.add(t.keys.subarray(slot * t.wordsPerRow, (slot + 1) * t.wordsPerRow).join(','))
        }
        for (const [k, N] of Object.entries(sizes)) fill[k].push(Math.round((union.size / N) * 1e4) / 1e4)
      }
      sites[site.id] = { units: site.units, rows, N: sizes, exact, hashed: byHash, fill }
    }
    runs.push({
      run: dir,
      family: config.family,
      seed: config.seed,
      epochs: steps.map((step) => step / config.stepsPerEpoch),
      sites,
      seconds: Math.round((performance.now() - started) / 1000),
    })
    console.log(`${dir}: ${files.length} checkpoints in ${runs.at(-1).seconds} s`)
    probe.dispose()
    model.dispose()
  }
  x.dispose()
  mkdirSync(dirname(args.out), { recursive: true })
  writeFileSync(args.out, `${JSON.stringify({ probe: n, reference: REFERENCE, runs }, null, 1)}\n`)
  console.log(`wrote ${args.out}`)
} else {
  const { probe, runs } = JSON.parse(readFileSync(args.out, 'utf8'))
  const f2 = (v) => (v === null ? '-' : v.toFixed(2))
  const mean = (v) => v.reduce((a, b) => a + b, 0) / v.length
  console.log(
    `${runs.length} runs (${[...new Set(runs.map((r) => r.family))].join(', ')}; seeds ${[...new Set(runs.map((r) => r.seed))].join(', ')}), probe set ${probe}.`,
  )
  const ids = Object.keys(runs[0].sites)
  for (const [k, title] of [
    ['byCapacity', 'tables scaled by the most distinct patterns a layer can show'],
    ['byRows', 'tables scaled by rows'],
  ]) {
    console.log(
      `\nWeighted Jaccard against the final measurement, exact and counted the reference's way (${title}); means over runs [min, max]:\n`,
    )
    console.log(
      '| site | table size N | fill, largest over the run | wJ at the first checkpoint, exact → hashed | largest difference hashed − exact over training | epoch wJ reaches 0.5, exact → hashed |',
    )
    console.log('| --- | --- | --- | --- | --- | --- |')
    for (const id of ids) {
      const per = runs.map((r) => r.sites[id])
      const diff = per.map((s) => Math.max(...s.hashed[k].map((h, i) => h - s.exact[i])))
      const te = runs.map((r) => reach(r.epochs, r.sites[id].exact, 0.5))
      const th = runs.map((r) => reach(r.epochs, r.sites[id].hashed[k], 0.5))
      const known = (v) => v.filter((x) => x !== null)
      const Ns = per.map((s) => s.N[k])
      console.log(
        `| ${id} | ${Math.min(...Ns) === Math.max(...Ns) ? Ns[0] : `${Math.min(...Ns)}-${Math.max(...Ns)}`} | ${f2(mean(per.map((s) => Math.max(...s.fill[k]))))} | ${f2(mean(per.map((s) => s.exact[0])))} → ${f2(mean(per.map((s) => s.hashed[k][0])))} | ${f2(mean(diff))} [${f2(Math.min(...diff))}, ${f2(Math.max(...diff))}] | ${f2(mean(known(te)))} → ${f2(mean(known(th)))} |`,
      )
    }
  }
  console.log(`\nMeasured in ${runs.map((r) => r.seconds).join(', ')} s per run.`)
}
