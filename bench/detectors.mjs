// Each out-of-distribution detector's memory and checks per second at the size of the MNIST
// comparison in docs/findings.md: 20,000 training examples, features of 192 values (two
// sites of 128 and 64 units), 10 classes; the pattern monitor on the same units' signs.
import {
  hammingIndex,
  knnFit,
  knnScores,
  logitScores,
  mahalanobisFit,
  mahalanobisScores,
  napFit,
  napScores,
  nearestPattern,
} from 'relu-patterns'
import { now } from './harness.mjs'

/** ReLU-like features: per class a random mean, plus noise, clipped at 0 (seeded). */
function features(examples, dims, classes, seed) {
  let s = seed >>> 0 || 1
  const u = () => ((s ^= s << 13), (s ^= s >>> 17), (s ^= s << 5), (s >>> 0) / 4294967296)
  const normal = () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u())
  const means = Float64Array.from({ length: classes * dims }, () => normal())
  const values = new Float32Array(examples * dims)
  const labels = new Int32Array(examples)
  for (let e = 0; e < examples; e++) {
    const c = e % classes
    labels[e] = c
    for (let j = 0; j < dims; j++) values[e * dims + j] = Math.max(0, means[c * dims + j] + normal())
  }
  return { f: { examples, dims, values, sites: [{ id: 'f', units: dims, offset: 0 }] }, labels }
}

function signs(f) {
  const wpr = Math.ceil(f.dims / 32)
  const words = new Uint32Array(f.examples * wpr)
  for (let e = 0; e < f.examples; e++)
    for (let j = 0; j < f.dims; j++) if (f.values[e * f.dims + j] > 0) words[e * wpr + (j >>> 5)] |= 1 << (j & 31)
  return words
}

/** Checks per second of `fn` over `queries` examples: the median of `rounds` timed calls. */
function rate(fn, queries, rounds) {
  const times = []
  for (let r = 0; r < rounds; r++) {
    const t0 = now()
    fn()
    times.push(now() - t0)
  }
  times.sort((a, b) => a - b)
  return queries / (times[times.length >> 1] / 1000)
}

export function detectorBench({ smoke = false } = {}) {
  const n = smoke ? 2_000 : 20_000
  const q = smoke ? 100 : 1_000
  const dims = 192
  const classes = 10
  const rounds = smoke ? 1 : 3
  const train = features(n, dims, classes, 1)
  const test = features(q, dims, classes, 2)
  const out = {}
  let t0 = now()
  const maha = mahalanobisFit(train.f, train.labels)
  const mahaFit = now() - t0
  out.mahalanobis = {
    fitMs: Math.round(mahaFit),
    bytes: maha.means.byteLength + maha.scatter.byteLength + maha.counts.byteLength,
    checksPerSec: Math.round(rate(() => mahalanobisScores(maha, test.f), q, rounds)),
  }
  t0 = now()
  const knn = knnFit(train.f, { k: 1 })
  out.knn = {
    fitMs: Math.round(now() - t0),
    bytes: knn.vectors.byteLength,
    checksPerSec: Math.round(rate(() => knnScores(knn, test.f), q, rounds)),
  }
  // the pattern monitor: per class, the distinct sign patterns; a check is the nearest one of the predicted class
  const wpr = Math.ceil(dims / 32)
  const words = signs(train.f)
  t0 = now()
  const sets = []
  let bytes = 0
  for (let c = 0; c < classes; c++) {
    const seen = new Map()
    for (let e = c; e < n; e += classes) seen.set(words.subarray(e * wpr, (e + 1) * wpr).join(','), e)
    const set = new Uint32Array(seen.size * wpr)
    let r = 0
    for (const e of seen.values()) set.set(words.subarray(e * wpr, (e + 1) * wpr), r++ * wpr)
    bytes += set.byteLength
    sets.push(hammingIndex(set, seen.size, dims))
  }
  const fitMs = now() - t0
  const qWords = signs(test.f)
  out.patterns = {
    fitMs: Math.round(fitMs),
    bytes,
    checksPerSec: Math.round(
      rate(
        () => {
          for (let e = 0; e < q; e++) nearestPattern(sets[test.labels[e]], qWords, e * wpr)
        },
        q,
        rounds,
      ),
    ),
  }
  // NAP at the library's defaults (quantiles 0 and 0.75: 384 bits per example), classes given as predictions
  t0 = now()
  const nap = napFit(train.f, train.labels)
  const napFitMs = now() - t0
  const checked = { ...test.f, predictions: test.labels }
  out.nap = {
    fitMs: Math.round(napFitMs),
    bytes: nap.thresholds.byteLength + nap.sets.flat().reduce((b, set) => b + set.words.byteLength, 0),
    checksPerSec: Math.round(rate(() => napScores(nap, checked), q, rounds)),
  }
  const logits = Float32Array.from({ length: q * classes }, (_, i) => Math.sin(i))
  out.maxSoftmax = { fitMs: 0, bytes: 0, checksPerSec: Math.round(rate(() => logitScores(logits, classes, 'maxSoftmax'), q, rounds)) }
  return out
}
