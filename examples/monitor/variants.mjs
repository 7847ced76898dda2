// What improves on the pattern monitor (one sign bit per unit, sites' distances averaged)?
// The same seeds, models and sets as index.mjs, and per seed the AUROC of pattern-detector
// variants: threshold levels (quantiles of each unit's training values, Olber et al. 2023),
// the sites combined by their largest or mean distance, the distance weighted by how rare
// each bit is, and NAP combined with kNN on the same values. The library's NAP defaults
// (quantiles 0 and 0.75, largest distance) were chosen from this grid, on these seeds:
// summarize.mjs prints the grid with intervals, so the choice can be checked.
//
//   node examples/monitor/variants.mjs [--train 20000] [--epochs 4] [--seeds 1,2,3,4,5] [--test 2000] [--held 2000]
//                                      [--sites dense2,dense3] [--out examples/monitor/results]
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-wasm'
import { featuresOf, instrument, knnFit, knnScores, napFit, napScores } from 'relu-patterns'
import { auroc } from './ood.mjs'
import { loadSets, makeModel, t2, trainSeeded } from './setup.mjs'

const { values: args } = parseArgs({
  options: {
    train: { type: 'string', default: '20000' },
    epochs: { type: 'string', default: '4' },
    seeds: { type: 'string', default: '1,2,3,4,5' },
    test: { type: 'string', default: '2000' },
    held: { type: 'string', default: '2000' },
    sites: { type: 'string', default: 'dense2,dense3' },
    out: { type: 'string', default: 'examples/monitor/results' },
  },
})
await tf.setBackend('wasm')
mkdirSync(args.out, { recursive: true })
const nTrain = Number(args.train)
const nTest = Number(args.test)
const nHeld = Number(args.held)
const sites = args.sites.split(',')
const { train, held, test, sets } = loadSets(nTrain, nHeld, nTest)

const LEVELS = [[0], [0.5], [0.75], [0, 0.5], [0, 0.75], [0, 0.5, 0.9], [0, 0.25, 0.5, 0.75]]

/**
 * NAP with the distance weighted by rarity: a differing bit b counts 1 / sqrt(p_b (1 - p_b))
 * (p_b: the share of training patterns with the bit set, over all classes, clipped to
 * [1/n, 1 - 1/n]), normalised by the weights' sum per site; the exact weighted nearest
 * pattern of the class by a full scan. Sites combined by the largest.
 */
function weightedScores(detector, features, trainFeatures, uniform = false) {
  const wordsOf = (site) => Math.ceil((site.units * detector.levels) / 32)
  const bitsOf = (f, e, site) => {
    const out = new Uint32Array(wordsOf(site))
    for (let l = 0; l < detector.levels; l++)
      for (let u = 0; u < site.units; u++)
        if (f.values[e * f.dims + site.offset + u] > detector.thresholds[l * detector.dims + site.offset + u]) {
          const b = l * site.units + u
          out[b >>> 5] |= 1 << (b & 31)
        }
    return out
  }
  const n = trainFeatures.examples
  const weights = detector.sites.map((site) => {
    const bits = site.units * detector.levels
    const on = new Float64Array(bits)
    for (let e = 0; e < n; e++) {
      const w = bitsOf(trainFeatures, e, site)
      for (let b = 0; b < bits; b++) if ((w[b >>> 5] >>> (b & 31)) & 1) on[b]++
    }
    const ws = Float64Array.from(on, (c) => {
      const p = Math.min(1 - 1 / n, Math.max(1 / n, c / n))
      return uniform ? 1 : 1 / Math.sqrt(p * (1 - p))
    })
    return { ws, total: ws.reduce((a, b) => a + b, 0) }
  })
  const out = new Float64Array(features.examples)
  for (let e = 0; e < features.examples; e++) {
    const c = features.predictions[e]
    let score = 0
    detector.sites.forEach((site, i) => {
      const q = bitsOf(features, e, site)
      const set = detector.sets[i][c]
      const wpr = wordsOf(site)
      const { ws, total } = weights[i]
      let best = Number.POSITIVE_INFINITY
      for (let r = 0; r < set.rows && best > 0; r++) {
        let d = 0
        for (let k = 0; k < wpr && d < best; k++) {
          let x = (q[k] ^ set.words[r * wpr + k]) >>> 0
          while (x !== 0) {
            const t = x & -x
            d += ws[k * 32 + (31 - Math.clz32(t))]
            x = (x ^ t) >>> 0
          }
        }
        if (d < best) best = d
      }
      score = Math.max(score, best / total)
    })
    out[e] = score
  }
  return out
}

/** Each score as its empirical CDF over held-out in-distribution scores (ties counted half). */
function heldRank(heldScores) {
  const sorted = Float64Array.from(heldScores).sort()
  const below = (v) => {
    let lo = 0
    let hi = sorted.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (sorted[mid] < v) lo = mid + 1
      else hi = mid
    }
    return lo
  }
  return (v) => {
    const lo = below(v)
    let hi = lo
    while (hi < sorted.length && sorted[hi] === v) hi++
    return (lo + (hi - lo) / 2) / sorted.length
  }
}

const round = (v) => Math.round(v * 1e6) / 1e6
const runs = []
for (const seed of args.seeds.split(',').map(Number)) {
  const started = performance.now()
  const model = makeModel(seed)
  await trainSeeded(model, train.pixels, train.labels, Number(args.epochs), seed)
  const probe = instrument(model, { reducers: {}, sites, values: true, passes: 'training' })
  const measure = async (pixels, n) => {
    const x = t2(pixels, n)
    const m = await probe.measurePatterns(x, { predictions: true, values: true })
    x.dispose()
    return featuresOf(m, sites)
  }
  const trainF = await measure(train.pixels, nTrain)
  const heldF = await measure(held.pixels, nHeld)
  const idF = await measure(test.pixels, nTest)
  const oodF = {}
  for (const [name, pixels] of Object.entries(sets)) oodF[name] = await measure(pixels, nTest)
  const correct = Array.from(idF.predictions, (c, i) => c === test.labels[i])

  // every variant: a function from Features to scores
  const variants = {}
  for (const quantiles of LEVELS) {
    const d = napFit(trainF, train.labels, { quantiles })
    for (const combine of ['max', 'mean']) variants[`q${quantiles.join('+')} ${combine}`] = (f) => napScores(d, f, { combine })
  }
  const defaults = napFit(trainF, train.labels)
  variants['q0+0.75 max, rarity-weighted'] = (f) => weightedScores(defaults, f, trainF)
  // the scan, with every weight 1, must give NAP's own scores: a check of the weighted variant's search
  const plain = napScores(defaults, idF)
  if (weightedScores(defaults, idF, trainF, true).some((v, i) => Math.abs(v - plain[i]) > 1e-12))
    throw new Error('the scan disagrees with napScores')
  const knn = knnFit(trainF, { k: 1 })
  const napRank = heldRank(napScores(defaults, heldF))
  const knnRank = heldRank(knnScores(knn, heldF))
  variants['q0+0.75 max and kNN, mean of held-out ranks'] = (f) => {
    const a = napScores(defaults, f)
    const b = knnScores(knn, f)
    return Float64Array.from(a, (v, i) => (napRank(v) + knnRank(b[i])) / 2)
  }

  const result = { seed, auroc: {}, misclassified: {} }
  for (const [name, score] of Object.entries(variants)) {
    const id = Array.from(score(idF))
    result.auroc[name] = {}
    for (const [set, f] of Object.entries(oodF)) result.auroc[name][set] = round(auroc(id, Array.from(score(f))))
    result.misclassified[name] = round(
      auroc(
        id.filter((_, i) => correct[i]),
        id.filter((_, i) => !correct[i]),
      ),
    )
  }
  result.seconds = Math.round((performance.now() - started) / 1000)
  runs.push(result)
  console.log(`seed ${seed}: ${Object.keys(variants).length} variants in ${result.seconds} s`)
  probe.dispose()
  model.dispose()
}
writeFileSync(join(args.out, 'variants.json'), `${JSON.stringify({ args, runs }, null, 1)}\n`)
console.log(`wrote ${join(args.out, 'variants.json')}`)
