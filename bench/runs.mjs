// Compares the JSON of consecutive `npm run bench -- --out FILE` runs: one markdown row per
// figure, each run's value (with its interquartile range where the bench gives one), the
// largest relative difference between runs, and the target.
//
//   node bench/runs.mjs first.json second.json [more.json]
import { readFileSync } from 'node:fs'

const runs = process.argv.slice(2).map((f) => JSON.parse(readFileSync(f, 'utf8')))
if (runs.length < 2) {
  console.error('usage: node bench/runs.mjs first.json second.json [more.json]')
  process.exit(2)
}

const at = (o, path) => path.split('.').reduce((x, k) => (x == null ? undefined : x[k]), o)
const num = (x, d) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : x >= 1e4 ? `${(x / 1e3).toFixed(1)}k` : x.toFixed(d))

/** [label, path to the value, path to its [q1, q3] or null, digits, target] */
const figures = [
  ['fit overhead, MLP, cpu (wall)', 'fitOverhead.mlp-cpu', 'fitOverheadSpread.mlp-cpu', 3, '≤ 1.03'],
  ['fit overhead, CNN, cpu (wall)', 'fitOverhead.cnn-cpu', 'fitOverheadSpread.cnn-cpu', 3, '≤ 1.03'],
  ['fit overhead, MLP, wasm (wall)', 'fitOverhead.mlp-wasm', 'fitOverheadSpread.mlp-wasm', 3, '≤ 1.10'],
  ['fit overhead, CNN stress case, wasm (wall)', 'fitOverhead.cnn-wasm', 'fitOverheadSpread.cnn-wasm', 3, '-'],
  ['fit overhead, MLP, webgl in Chromium (wall)', 'fitOverhead.mlp-webgl', 'fitOverheadSpread.mlp-webgl', 3, '≤ 1.10'],
  ['fit overhead, MLP, cpu (CPU time)', 'fitOverheadCpu.mlp-cpu', 'fitOverheadCpuSpread.mlp-cpu', 3, '-'],
  ['fit overhead, CNN, cpu (CPU time)', 'fitOverheadCpu.cnn-cpu', 'fitOverheadCpuSpread.cnn-cpu', 3, '-'],
  ['fit overhead, MLP, wasm (CPU time)', 'fitOverheadCpu.mlp-wasm', 'fitOverheadCpuSpread.mlp-wasm', 3, '-'],
  ['recorderShare, MLP, cpu (%)', 'recorderShare.mlp-cpu', null, 3, '≤ 1%'],
  ['recorderShare, CNN, cpu (%)', 'recorderShare.cnn-cpu', null, 3, '≤ 1%'],
  ['recorderShare, MLP, wasm (%)', 'recorderShare.mlp-wasm', null, 3, '≤ 1%'],
  ['recorderShare, CNN stress case, wasm (%)', 'recorderShare.cnn-wasm', null, 3, '≤ 1%'],
  ['recorderShare, MLP, webgl (%)', 'recorderShare.mlp-webgl', null, 3, '≤ 1%'],
  ['predict overhead, MobileNetV2 graph, cpu', 'predictOverhead.mobilenet-graph-cpu', null, 3, '≤ 1.05'],
  ['measure / predict, MLP, wasm', 'measureOverPredict', 'measureOverPredictSpread', 3, '-'],
  ['vsNaive: statistics on the same activations', 'vsNaive', 'vsNaiveSpread', 1, '≥ 50x'],
  ['histogram, 32-bit patterns (/s)', 'histogramPatternsPerSec.32', 'histogramPatternsPerSecSpread.32', 1, '-'],
  ['histogram, 64-bit patterns (/s)', 'histogramPatternsPerSec.64', 'histogramPatternsPerSecSpread.64', 1, '≥ 30M'],
  ['histogram, 512-bit patterns (/s)', 'histogramPatternsPerSec.512', 'histogramPatternsPerSecSpread.512', 1, '-'],
  ['histogram, 4096-bit patterns (/s)', 'histogramPatternsPerSec.4096', 'histogramPatternsPerSecSpread.4096', 1, '≥ 2M'],
  ['histogram, 4096-bit patterns, state holding them (/s)', 'histogramWarm4096', 'histogramWarm4096Spread', 1, '-'],
  ['fresh memory, first touch (ms per MiB)', 'firstTouchMsPerMiB', null, 2, '-'],
  ['histogram, 64-bit, 10M distinct (/s)', 'histogramLarge.patternsPerSec', null, 1, '-'],
  ['histogram, 64-bit, 10M distinct (bytes per pattern)', 'histogramLarge.bytesPerPattern', null, 1, '-'],
  ['unitStats, 512 units (rows/s)', 'unitStatsRowsPerSec512', null, 1, '-'],
  ['unitStats / per-bit loop', 'unitStatsVsNaive', 'unitStatsVsNaiveSpread', 1, '≥ 20x'],
  ['hamming, 512 bits (pairs/s)', 'hammingPairsPerSec512', null, 1, '-'],
  ['hamming / per-bit loop', 'hammingVsNaive', 'hammingVsNaiveSpread', 1, '-'],
  ['pattern monitor, 192 bits, 20k examples (checks/s)', 'detectors.patterns.checksPerSec', null, 0, '-'],
  ['Mahalanobis, 192 values, 10 classes (checks/s)', 'detectors.mahalanobis.checksPerSec', null, 0, '-'],
  ['kNN, 192 values, 20k examples (checks/s)', 'detectors.knn.checksPerSec', null, 0, '-'],
  ['NAP, 2 x 192 bits, 20k examples (checks/s)', 'detectors.nap.checksPerSec', null, 0, '-'],
  ['worker pool of 2 / probe.measure', 'workers.speedup', 'workers.spread', 2, '≥ 1.6x'],
  ['measureInWorkers (with start-up) / probe.measure', 'workers.oneShotSpeedup', null, 2, '-'],
  ['regionsAlong / dense sampling', 'regions.along.speedup', null, 1, '-'],
  ['network site, MLP: measure with / without', 'regions.networkSite.mlp.ratio', null, 3, '-'],
  ['network site, CNN: measure with / without', 'regions.networkSite.cnn.ratio', null, 3, '-'],
  ['memory: tensors after 1000 batches', 'memory.tensorGrowth', null, 0, '0'],
  ['fit with live log and TensorBoard writer / timeline alone, MLP, wasm', 'sinksOverhead.ratio', 'sinksOverhead.ratioSpread', 3, '≤ 1.02'],
  ['serializeBinary, 1M distinct patterns (MB/s)', 'states.serializeMBps', 'states.serializeMBpsRange', 0, '≥ 200'],
  ['serializeBinaryParts to a file (MB/s)', 'states.serializeToFileMBps', null, 0, '≥ 200'],
  ['deserialize of the bytes (MB/s)', 'states.readMBps', 'states.readMBpsRange', 0, '≥ 200'],
  ['extra memory while writing / state size', 'states.extraOverState', null, 2, '≤ 1'],
  ['serialize, JSON text (s)', 'states.json.serializeS', null, 1, '-'],
  ['deserialize, JSON text (s)', 'states.json.readS', null, 1, '-'],
]

const percent = (label) => label.includes('(%)')
console.log(
  `| figure | ${runs.map((r, i) => `run ${String.fromCharCode(97 + i)} (${r.date.slice(0, 16).replace('T', ' ')} UTC)`).join(' | ')} | runs differ by | target |`,
)
console.log(`| --- | ${runs.map(() => '---').join(' | ')} | --- | --- |`)
for (const [label, path, spreadPath, digits, target] of figures) {
  const values = runs.map((r) => at(r, path))
  if (values.some((v) => typeof v !== 'number')) continue
  const scale = percent(label) ? 100 : 1
  const cells = runs.map((r, i) => {
    const spread = spreadPath === null ? null : at(r, spreadPath)
    const v = num(values[i] * scale, digits)
    return Array.isArray(spread) ? `${v} (${num(spread[0] * scale, digits)}-${num(spread[1] * scale, digits)})` : v
  })
  const lo = Math.min(...values)
  const hi = Math.max(...values)
  const differ = lo > 0 ? `${((100 * (hi - lo)) / lo).toFixed(1)}%` : lo === hi ? '0' : '-'
  console.log(`| ${label} | ${cells.join(' | ')} | ${differ} | ${target} |`)
}
console.log(`\nRun times: ${runs.map((r) => `${r.seconds ?? '?'} s`).join(', ')}; Node ${runs[0].node}.`)
