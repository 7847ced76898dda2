// Has the model seen this before? Every detector of the library on an MNIST classifier,
// evaluated on held-out digits (in distribution) against Fashion-MNIST and corrupted
// digits: the pattern monitor, NAP (patterns at quantile thresholds, and at the sign only,
// sites combined by their largest distance), class-conditional Mahalanobis and kNN on the
// same layers' values (all from one forward pass per set), and the logit baselines
// (maximum softmax probability, maximum logit, energy).
//
//   node examples/monitor/index.mjs [--train 20000] [--epochs 4] [--seeds 1,2,3,4,5] [--test 2000] [--held 2000]
//                                   [--sites dense2,dense3] [--k 1] [--bootstrap 1000] [--out examples/monitor/results]
//
// A seed fixes everything: the initial weights, and the order of the training examples in
// every epoch (a seeded permutation, then fit with shuffle: false; fit's own shuffle uses
// Math.random). The same seed gives the same results.json entry bit for bit (wasm backend,
// one thread). Fashion-MNIST comes from Debian's dataset-fashion-mnist package; without it
// that set is skipped (and said so). Writes results.json (one entry per seed) and roc.svg
// (first seed); summarize.mjs prints the tables of docs/findings.md from results.json.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-wasm'
import {
  buildMonitor,
  evaluateScores,
  featuresOf,
  instrument,
  knnFit,
  knnScores,
  logitScores,
  mahalanobisFit,
  mahalanobisScores,
  napFit,
  napScores,
} from 'relu-patterns'
import { writeSvg } from '../lib/render.mjs'
import { rocPoints } from './ood.mjs'
import { loadSets, makeModel, t2, trainSeeded } from './setup.mjs'

const { values: args } = parseArgs({
  options: {
    train: { type: 'string', default: '20000' },
    epochs: { type: 'string', default: '4' },
    seeds: { type: 'string', default: '1,2,3,4,5' },
    test: { type: 'string', default: '2000' },
    held: { type: 'string', default: '2000' },
    sites: { type: 'string', default: 'dense2,dense3' },
    k: { type: 'string', default: '1' },
    bootstrap: { type: 'string', default: '1000' },
    out: { type: 'string', default: 'examples/monitor/results' },
  },
})
await tf.setBackend('wasm')
mkdirSync(args.out, { recursive: true })
const nTrain = Number(args.train)
const nTest = Number(args.test)
const nHeld = Number(args.held)
const sites = args.sites.split(',')
const bootstrap = Number(args.bootstrap)
const { train, held, test, sets } = loadSets(nTrain, nHeld, nTest)

/** Every detector's scores for one set, from one forward pass (patterns and values) and the logits. */
async function scoreAll(model, probe, monitor, detectors, x) {
  const m = await probe.measurePatterns(x, { predictions: true, values: true })
  const features = featuresOf(m, sites)
  const logits = tf.tidy(() => model.predict(x).dataSync())
  return {
    classes: m.predictions,
    scores: {
      patterns: Float64Array.from(monitor.checkPatterns(m.patterns, m.predictions), (c) => c.score),
      nap: napScores(detectors.nap, features),
      napSign: napScores(detectors.napSign, features),
      mahalanobis: mahalanobisScores(detectors.mahalanobis, features),
      knn: knnScores(detectors.knn, features),
      maxSoftmax: logitScores(logits, 10, 'maxSoftmax'),
      maxLogit: logitScores(logits, 10, 'maxLogit'),
      energy: logitScores(logits, 10, 'energy'),
    },
  }
}

/** Bytes a NAP detector holds: its patterns and thresholds (indexes, built on first search, aside). */
const napBytes = (d) => d.thresholds.byteLength + d.sets.flat().reduce((n, set) => n + set.words.byteLength, 0)

const round = (v) => Math.round(v * 1e6) / 1e6
const figures = (e) => ({
  auroc: round(e.auroc.value),
  aurocInterval: e.auroc.interval.map(round),
  aupr: round(e.aupr.value),
  fpr95: round(e.fprAt95.value),
  fpr95Interval: e.fprAt95.interval.map(round),
})

const runs = []
for (const seed of args.seeds.split(',').map(Number)) {
  const model = makeModel(seed)
  let started = performance.now()
  await trainSeeded(model, train.pixels, train.labels, Number(args.epochs), seed)
  const trainSeconds = (performance.now() - started) / 1000
  const probe = instrument(model, { reducers: {}, sites, values: true, passes: 'training' })
  const xs = t2(train.pixels, nTrain)
  // one pass over the training digits: the monitor's patterns and the value detectors' features
  started = performance.now()
  const m = await probe.measurePatterns(xs, { predictions: true, values: true })
  const monitor = await buildMonitor(model, m, { labels: train.labels, sites })
  const trainFeatures = featuresOf(m, sites)
  const detectors = {
    mahalanobis: mahalanobisFit(trainFeatures, train.labels),
    knn: knnFit(trainFeatures, { k: Number(args.k) }),
    // the library's defaults: quantiles [0, 0.75], the largest distance over sites
    nap: napFit(trainFeatures, train.labels),
    // the ablation: the sign alone (the pattern monitor's bits), sites still combined by the largest distance
    napSign: napFit(trainFeatures, train.labels, { quantiles: [0] }),
  }
  const buildSeconds = (performance.now() - started) / 1000
  const heldX = t2(held.pixels, nHeld)
  const calibration = await monitor.calibrate(heldX, { falseAlarmRate: 0.05 })
  const testX = t2(test.pixels, nTest)
  const id = await scoreAll(model, probe, monitor, detectors, testX)
  const correct = Array.from(id.classes, (c, i) => c === test.labels[i])
  const result = {
    seed,
    accuracy: round(correct.filter(Boolean).length / nTest),
    trainSeconds: Math.round(trainSeconds),
    buildSeconds: Math.round(buildSeconds),
    patterns: monitor.patterns,
    bytes: {
      patterns: monitor.bytes,
      mahalanobis:
        detectors.mahalanobis.means.byteLength + detectors.mahalanobis.scatter.byteLength + detectors.mahalanobis.counts.byteLength,
      knn: detectors.knn.vectors.byteLength,
      nap: napBytes(detectors.nap),
    },
    napPatterns: detectors.nap.sets.flat().reduce((n, set) => n + set.rows, 0),
    // the monitor's own sets, per site: NAP at the sign alone holds exactly them (a test checks it)
    patternsPerSite: Object.fromEntries(
      detectors.napSign.sites.map((site, i) => [site.id, detectors.napSign.sets[i].reduce((n, set) => n + set.rows, 0)]),
    ),
    patternBytes: napBytes(detectors.napSign) - detectors.napSign.thresholds.byteLength,
    threshold: calibration.threshold,
    sets: {},
    misclassified: {},
  }
  const roc = {}
  for (const [name, pixels] of Object.entries(sets)) {
    const x = t2(pixels, nTest)
    const ood = await scoreAll(model, probe, monitor, detectors, x)
    result.sets[name] = {}
    roc[name] = {}
    for (const [detector, s] of Object.entries(ood.scores)) {
      result.sets[name][detector] = figures(evaluateScores(id.scores[detector], s, { bootstrap, seed }))
      roc[name][detector] = rocPoints(Array.from(id.scores[detector]), Array.from(s))
    }
    x.dispose()
  }
  // misclassification detection on the test digits: the misclassified ones are the positives
  for (const [detector, s] of Object.entries(id.scores)) {
    const right = s.filter((_, i) => correct[i])
    const wrong = s.filter((_, i) => !correct[i])
    if (wrong.length > 0) result.misclassified[detector] = figures(evaluateScores(right, wrong, { bootstrap, seed }))
  }
  // a seed given twice must give the same result, bit for bit (timings aside)
  const same = runs.find((r) => r.seed === seed)
  const comparable = ({ trainSeconds, buildSeconds, ...r }) => JSON.stringify(r)
  if (same !== undefined && comparable(same) !== comparable(result)) throw new Error(`seed ${seed} gave another result on a second run`)
  if (same !== undefined) console.log(`seed ${seed} again: the same result, bit for bit`)
  else runs.push(result)
  if (runs.length === 1) runs.roc = roc
  console.log(
    `seed ${seed}: accuracy ${result.accuracy.toFixed(4)}, ${monitor.patterns} distinct patterns, trained in ${result.trainSeconds} s, detectors built in ${result.buildSeconds} s`,
  )
  for (const [name, r] of Object.entries(result.sets))
    console.log(
      `  ${name.padEnd(10)} AUROC ${Object.entries(r)
        .map(([d, f]) => `${d} ${f.auroc.toFixed(3)}`)
        .join('  ')}`,
    )
  probe.dispose()
  tf.dispose([xs, heldX, testX])
  model.dispose()
}

writeFileSync(join(args.out, 'results.json'), `${JSON.stringify({ args, runs }, null, 1)}\n`)

const values = []
for (const [name, byDetector] of Object.entries(runs.roc))
  for (const [score, points] of Object.entries(byDetector))
    for (const p of points) values.push({ set: name, score, baseline: /max|energy/.test(score) ? 'logits' : 'activations', ...p })
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
        // distinct hues, and the logit baselines dashed, so that no two curves read alike
        color: {
          field: 'score',
          type: 'nominal',
          title: 'detector',
          scale: {
            domain: ['patterns', 'nap', 'napSign', 'mahalanobis', 'knn', 'maxSoftmax', 'maxLogit', 'energy'],
            range: ['#d62728', '#111111', '#e377c2', '#1f77b4', '#2ca02c', '#9467bd', '#ff7f0e', '#7f7f7f'],
          },
        },
        strokeDash: {
          field: 'baseline',
          type: 'nominal',
          title: 'kind',
          scale: {
            domain: ['activations', 'logits'],
            range: [
              [1, 0],
              [4, 3],
            ],
          },
        },
      },
    },
  },
  join(args.out, 'roc.svg'),
)
console.log(`wrote ${join(args.out, 'results.json')} and roc.svg`)
