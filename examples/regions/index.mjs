// Linear regions of an MNIST MLP over training, and NASWOT at initialisation against the
// accuracy reached.
//
//   node examples/regions/index.mjs [--train 6000] [--epochs 2] [--every 0.25] [--segments 20] [--runs 3]
//     [--lc 50] [--radius 1] [--radii 0.5,1,2] [--archs all] [--seeds 3] [--arch-epochs 1] [--out examples/regions/results]
//
// Part 1 trains a 784-64-64-32-10 MLP. At each point it counts the activation regions
// crossed by segments between test digits of different classes (regionsAlong) and the
// local complexity (mean regions on lines of length 2 * radius through each of --lc digits)
// along random directions and along the direction to a digit of another class, at test
// and at training digits, for each radius of --radii, and maps the plane through three test
// digits before and after training. summarize.mjs prints the tables of docs/findings.md
// from the results.json this writes.
// Part 2 scores a few architectures with NASWOT on one batch of 128 training digits at
// initialisation, trains each for --arch-epochs, and compares the ranks.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import * as tf from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'
import '@tensorflow/tfjs-backend-wasm'
import { instrument, localComplexity, naswot, regionMap, regionMapSvg, regionsAlong, trainingCallback } from 'relu-patterns'
import { loadMnist } from '../lib/mnist.mjs'
import { writeSvg } from '../lib/render.mjs'

const { values: args } = parseArgs({
  options: {
    train: { type: 'string', default: '6000' },
    epochs: { type: 'string', default: '2' },
    every: { type: 'string', default: '0.25' },
    segments: { type: 'string', default: '20' },
    lc: { type: 'string', default: '50' },
    radius: { type: 'string', default: '1' },
    radii: { type: 'string', default: '0.5,1,2' },
    resolution: { type: 'string', default: '160' },
    archs: { type: 'string', default: 'all' },
    seeds: { type: 'string', default: '3' },
    runs: { type: 'string', default: '3' },
    'arch-epochs': { type: 'string', default: '1' },
    out: { type: 'string', default: 'examples/regions/results' },
  },
})

await tf.setBackend('wasm')
const began = Date.now()
mkdirSync(args.out, { recursive: true })
const train = loadMnist('train', 0, Number(args.train))
const test = loadMnist('test', 0, 1000)
const xs = tf.tensor2d(train.pixels, [train.count, 784])
const ys = tf.oneHot(tf.tensor1d(train.labels, 'int32'), 10)
const digit = (i) => tf.tensor1d(test.pixels.subarray(i * 784, (i + 1) * 784))

function mlp(widths, seed) {
  const init = (k) => ({ kernelInitializer: tfl.initializers.heNormal({ seed: seed * 100 + k }) })
  const model = tfl.sequential({
    layers: [
      ...widths.map((units, k) => tfl.layers.dense({ ...(k === 0 ? { inputShape: [784] } : {}), units, activation: 'relu', ...init(k) })),
      tfl.layers.dense({ units: 10, activation: 'softmax', ...init(99) }),
    ],
  })
  model.compile({ optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy', metrics: ['accuracy'] })
  return model
}

// ---- Part 1: regions over training, one run per seed --------------------------------
// segments between test digits of different classes, chosen in order
const pairs = []
for (let i = 0; pairs.length < Number(args.segments); i++) {
  const j = i + 1 + (i % 7)
  if (test.labels[i] !== test.labels[j]) pairs.push([i, j])
}
const ends = pairs.map(([i, j]) => [digit(i), digit(j)])
const lc = Number(args.lc)
const radii = args.radii.split(',').map(Number)
const lcSets = {
  test: { pixels: test.pixels, labels: test.labels, inputs: tf.tensor2d(test.pixels.subarray(0, lc * 784), [lc, 784]) },
  train: { pixels: train.pixels, labels: train.labels, inputs: tf.tensor2d(train.pixels.subarray(0, lc * 784), [lc, 784]) },
}
// the lines toward another digit: through digit i of a set, toward the next digit of another class in it
for (const set of Object.values(lcSets)) {
  const row = (i) => set.pixels.subarray(i * 784, (i + 1) * 784)
  set.toward = {}
  for (const r of radii) set.toward[r] = []
  for (let i = 0; i < lc; i++) {
    let j = i + 1
    while (set.labels[j] === set.labels[i]) j++
    const x = row(i)
    const d = row(j).map((v, k) => v - x[k])
    const norm = Math.hypot(...d)
    for (const r of radii) {
      const end = (sign) => tf.tensor1d(x.map((v, k) => v + (sign * r * d[k]) / norm))
      set.toward[r].push([end(-1), end(1)])
    }
  }
}
const plane = [digit(0), tf.sub(digit(1), digit(0)), tf.sub(digit(2), digit(0))]
const centre = tf.add(plane[0], tf.mul(0.5, tf.add(plane[1], plane[2])))

const points = []
const runs = []
for (let seed = 1; seed <= Number(args.runs); seed++) {
  const model = mlp([64, 64, 32], seed)
  const probe = instrument(model)
  const mapOf = () =>
    regionMap(model, { origin: centre, directions: [plane[1], plane[2]], extent: 0.75, resolution: Number(args.resolution) })
  const schedule = trainingCallback(probe, {
    every: { epochs: Number(args.every) },
    localComplexity: { inputs: lcSets.test.inputs, radius: Number(args.radius), lines: 4, seed: 1 },
    onPoint: async (entry) => {
      let along = 0
      for (const [a, b] of ends) along += (await regionsAlong(model, a, b, { tolerance: 1e-4 })).regions
      // local complexity: random lines (localComplexity) and lines toward another digit, per set and radius
      const complexity = {}
      for (const [name, set] of Object.entries(lcSets)) {
        for (const r of radii) {
          complexity[`random-${name}-${r}`] = (await localComplexity(model, set.inputs, { radius: r, lines: 4, seed: 1 })).mean
          let toward = 0
          for (const [a, b] of set.toward[r]) toward += (await regionsAlong(model, a, b, { tolerance: 1e-4 })).regions
          complexity[`toward-${name}-${r}`] = toward / set.toward[r].length
        }
      }
      points.push({
        seed,
        examples: entry.examples,
        epoch: entry.epoch ?? 0,
        regionsAlong: along / ends.length,
        localComplexity: entry.localComplexity.mean,
        complexity,
      })
    },
  })
  const before = await mapOf()
  const started = Date.now()
  // no shuffling: fit shuffles with Math.random, and a run should reproduce exactly
  await model.fit(xs, ys, { epochs: Number(args.epochs), batchSize: 64, shuffle: false, verbose: 0, callbacks: [schedule] })
  const after = await mapOf()
  const accuracy = evaluate(model)
  runs.push({ seed, accuracy, planeRegions: { init: before.regions, trained: after.regions } })
  console.log(
    `seed ${seed}: ${train.count} digits x ${args.epochs} epochs in ${((Date.now() - started) / 1000).toFixed(0)} s, test accuracy ${accuracy.toFixed(3)}; plane through three test digits: ${before.regions} regions at init, ${after.regions} trained`,
  )
  if (seed === 1) {
    writeFileSync(join(args.out, 'plane-init.svg'), regionMapSvg(before, { scale: 2, boundaries: false }))
    writeFileSync(join(args.out, 'plane-trained.svg'), regionMapSvg(after, { scale: 2, boundaries: false }))
  }
  probe.dispose()
}
console.log('examples seen   regions per segment (mean, min-max over seeds)   local complexity')
for (const at of [...new Set(points.map((p) => p.examples))]) {
  const here = points.filter((p) => p.examples === at)
  const show = (k) =>
    `${mean(here.map((p) => p[k])).toFixed(1)} (${Math.min(...here.map((p) => p[k])).toFixed(1)}-${Math.max(...here.map((p) => p[k])).toFixed(1)})`
  console.log(`${String(at).padStart(13)}   ${show('regionsAlong').padEnd(46)}   ${show('localComplexity')}`)
}
const long = points.flatMap((p) => [
  { seed: p.seed, examples: p.examples, measure: 'regions per test-digit segment', value: p.regionsAlong },
  { seed: p.seed, examples: p.examples, measure: `local complexity (radius ${args.radius})`, value: p.localComplexity },
])
await writeSvg(
  {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'Linear regions of a 784-64-64-32-10 MLP over training (mean ± sd over seeds)',
    data: { values: long },
    facet: { row: { field: 'measure', type: 'nominal', title: null } },
    spec: {
      width: 420,
      height: 140,
      layer: [
        {
          mark: { type: 'errorband', extent: 'stdev', opacity: 0.3 },
          encoding: {
            x: { field: 'examples', type: 'quantitative', title: 'training examples seen' },
            y: { field: 'value', type: 'quantitative', title: null },
          },
        },
        {
          mark: { type: 'line', point: true },
          encoding: { x: { field: 'examples', type: 'quantitative' }, y: { aggregate: 'mean', field: 'value', type: 'quantitative' } },
        },
      ],
    },
    resolve: { scale: { y: 'independent' } },
  },
  join(args.out, 'regions-over-training.svg'),
)

// ---- Part 2: NASWOT at initialisation against accuracy -------------------------------
// every architecture has at least 128 ReLU units, so the kernel of 128 digits can be nonsingular
const ARCHS = {
  128: [128],
  512: [512],
  '128-128': [128, 128],
  '64x4': [64, 64, 64, 64],
  '32x8': Array(8).fill(32),
  '256-128-64': [256, 128, 64],
  '512-256': [512, 256],
}
const chosen = args.archs === 'all' ? Object.keys(ARCHS) : args.archs.split(',')
const batch = tf.tensor2d(train.pixels.subarray(0, 128 * 784), [128, 784])
const rows = []
for (const name of chosen) {
  for (let seed = 1; seed <= Number(args.seeds); seed++) {
    const m = mlp(ARCHS[name], 10 + seed)
    const p = instrument(m)
    const score = naswot(await p.measurePatterns(batch)).score
    p.dispose()
    await m.fit(xs, ys, { epochs: Number(args['arch-epochs']), batchSize: 64, shuffle: false, verbose: 0 })
    rows.push({ arch: name, seed, naswot: score, accuracy: evaluate(m) })
  }
  const mine = rows.filter((r) => r.arch === name)
  console.log(
    `  ${name.padEnd(11)} NASWOT ${mean(mine.map((r) => r.naswot)).toFixed(1)}  test accuracy ${mean(mine.map((r) => r.accuracy)).toFixed(3)}`,
  )
}
const byArch = chosen.map((a) => ({
  arch: a,
  naswot: mean(rows.filter((r) => r.arch === a).map((r) => r.naswot)),
  accuracy: mean(rows.filter((r) => r.arch === a).map((r) => r.accuracy)),
}))
const tau = kendall(
  byArch.map((r) => r.naswot),
  byArch.map((r) => r.accuracy),
)
console.log(`Kendall tau between mean NASWOT and mean accuracy over ${byArch.length} architectures: ${tau.toFixed(2)}`)
await writeSvg(
  {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `NASWOT at initialisation vs test accuracy after ${args['arch-epochs']} epoch(s)`,
    width: 360,
    height: 240,
    data: { values: rows },
    mark: { type: 'point', filled: true },
    encoding: {
      x: { field: 'naswot', type: 'quantitative', scale: { zero: false }, title: 'NASWOT score (log |K|)' },
      y: { field: 'accuracy', type: 'quantitative', scale: { zero: false } },
      color: { field: 'arch', type: 'nominal' },
    },
  },
  join(args.out, 'naswot.svg'),
)
writeFileSync(
  join(args.out, 'results.json'),
  `${JSON.stringify({ args, seconds: Math.round((Date.now() - began) / 1000), runs, points, naswot: rows, kendallTau: tau }, null, 1)}\n`,
)
console.log(`wrote ${args.out}/regions-over-training.svg, plane-init.svg, plane-trained.svg, naswot.svg, results.json`)
tf.dispose([xs, ys, batch, centre, ...ends.flat(), ...plane])
for (const set of Object.values(lcSets)) tf.dispose([set.inputs, ...Object.values(set.toward).flat(2)])

function evaluate(m) {
  const x = tf.tensor2d(test.pixels, [test.count, 784])
  const predicted = tf.tidy(() => tf.argMax(m.predict(x), 1))
  const p = predicted.dataSync()
  let right = 0
  for (let i = 0; i < test.count; i++) right += p[i] === test.labels[i] ? 1 : 0
  tf.dispose([x, predicted])
  return right / test.count
}

function mean(xs) {
  return xs.reduce((a, b) => a + b, 0) / xs.length
}

function kendall(a, b) {
  let s = 0
  let n = 0
  for (let i = 0; i < a.length; i++) for (let j = i + 1; j < a.length; j++) (s += Math.sign(a[i] - a[j]) * Math.sign(b[i] - b[j])), n++
  return n === 0 ? 0 : s / n
}
