// Per-bit flips against the final patterns: for each run trained with --checkpoints, the
// share of a probe set's bits (rows aligned: the same example and position) that differ
// from the final checkpoint's, at every checkpoint and site. Unlike the weighted Jaccard
// of pattern histograms, it does not depend on how many patterns are distinct, so wide and
// narrow sites are measured alike. Probe sets: the first N training digits (the in-run
// probe set is the first 500), measured as in training (batch statistics, batches of 250).
// flips-table.mjs prints the tables of docs/findings.md from the file this writes.
//
//   node examples/paper-replication/flips.mjs --checkpoints DIR [--probes 500,5000]
//     [--results DIR] [--out examples/paper-replication/results/flips.json]
//
// With --results (the folder of the runs' own results files), the distinct patterns of the
// run's own probe set at the first and last checkpoints must equal what the run measured
// itself: a check that the checkpoints give back the run's networks.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { parseArgs } from 'node:util'
import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-wasm'
import { instrument } from 'relu-patterns'
import { loadMnist } from '../lib/mnist.mjs'
import { checkpointRuns, checkpointsOf, loadCheckpoint } from './checkpoints.mjs'
import { network } from './networks.mjs'

const { values: args } = parseArgs({
  options: {
    checkpoints: { type: 'string' },
    probes: { type: 'string', default: '500,5000' },
    runs: { type: 'string' },
    results: { type: 'string' },
    out: { type: 'string', default: 'examples/paper-replication/results/flips.json' },
  },
})
if (args.checkpoints === undefined) throw new Error('--checkpoints DIR: the folder train.mjs --checkpoints wrote')
await tf.setBackend('wasm')
const sizes = args.probes.split(',').map(Number)
const digits = loadMnist('train', 0, Math.max(...sizes))

/** popcount of a 32-bit word */
function pop(v) {
  v -= (v >>> 1) & 0x55555555
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333)
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24
}

/** Share of bits that differ between two retained pattern sets of one site (same rows, same layout). */
function flipShare(a, b) {
  if (a.rows !== b.rows || a.words.length !== b.words.length) throw new Error('the two measurements have different rows')
  let d = 0
  for (let i = 0; i < a.words.length; i++) d += pop((a.words[i] ^ b.words[i]) >>> 0)
  return d / (a.rows * a.units)
}

/** Distinct rows of a retained pattern set. */
function distinct(p) {
  const wpr = p.words.length / p.rows
  const seen = new Set()
  for (let r = 0; r < p.rows; r++) seen.add(p.words.subarray(r * wpr, (r + 1) * wpr).join(','))
  return seen.size
}

/** Throws unless the checkpoint's patterns of the in-run probe set have the distinct counts the run recorded. */
function checkAgainstRun(dir, patterns, entry) {
  for (const [id, p] of Object.entries(patterns)) {
    const want = entry.sites[id].distinct
    if (distinct(p) !== want) throw new Error(`${dir}, ${id}: ${distinct(p)} distinct patterns from the checkpoint, ${want} in the run`)
  }
}

const dirs = checkpointRuns(args.checkpoints, args.runs)
const runs = []
for (const dir of dirs) {
  const started = performance.now()
  const { config, files, steps } = checkpointsOf(args.checkpoints, dir)
  const model = network(config)
  const probe = instrument(model, { reducers: {} })
  const sites = probe.sites.map((s) => ({ id: s.id, units: s.units, positions: s.positions }))
  const run = {
    run: dir,
    family: config.family,
    seed: config.seed,
    schedule: config.schedule,
    steps,
    epochs: steps.map((s) => s / config.stepsPerEpoch),
    sites,
    flips: {},
  }
  for (const n of sizes) {
    const x = tf.tensor4d(digits.pixels.subarray(0, n * 784), [n, 28, 28, 1])
    const measure = async (file) => {
      loadCheckpoint(model, file)
      return (await probe.measurePatterns(x, { training: true, batchSize: 250 })).patterns
    }
    const final = await measure(files[files.length - 1])
    const recorded = args.results === undefined ? null : join(args.results, `${dir}.json.gz`)
    const entries =
      recorded !== null && n === config.probe && existsSync(recorded) ? JSON.parse(gunzipSync(readFileSync(recorded))).entries : null
    if (entries !== null) checkAgainstRun(dir, final, entries[entries.length - 1])
    const flips = Object.fromEntries(sites.map((s) => [s.id, []]))
    for (const file of files) {
      const now = await measure(file)
      if (entries !== null && file === files[0]) checkAgainstRun(dir, now, entries[0])
      for (const s of sites) flips[s.id].push(Math.round(flipShare(now[s.id], final[s.id]) * 1e6) / 1e6)
    }
    run.flips[n] = flips
    x.dispose()
  }
  run.checked = args.results !== undefined && sizes.includes(config.probe)
  run.seconds = Math.round((performance.now() - started) / 1000)
  runs.push(run)
  console.log(`${dir}: ${files.length} checkpoints, probe sets of ${sizes.join(' and ')}, ${run.seconds} s`)
  probe.dispose()
  model.dispose()
}
writeFileSync(args.out, `${JSON.stringify({ probes: sizes, runs }, null, 1)}\n`)
console.log(`wrote ${args.out}`)
