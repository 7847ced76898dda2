// Prints the tables of docs/findings.md and docs/monitor.md from the results of
// examples/monitor/index.mjs: per out-of-distribution set and detector, the mean over seeds
// of AUROC and FPR at 95% TPR with a 95% t-interval over seeds, and each seed's bootstrap
// interval range; the misclassification table; memory.
//
//   node examples/monitor/summarize.mjs [--results examples/monitor/results/results.json]
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'

const { values: args } = parseArgs({ options: { results: { type: 'string', default: 'examples/monitor/results/results.json' } } })
const { args: runArgs, runs } = JSON.parse(readFileSync(args.results, 'utf8'))
// two-sided 95% quantiles of Student's t, by degrees of freedom
const T95 = [Number.NaN, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228]
const mean = (v) => v.reduce((a, b) => a + b, 0) / v.length
/** Mean and the 95% t-interval of the mean over seeds. */
function overSeeds(v) {
  const m = mean(v)
  if (v.length < 2) return { m, lo: m, hi: m }
  const sd = Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1))
  const h = ((T95[v.length - 1] ?? 1.96) * sd) / Math.sqrt(v.length)
  // AUROC and FPR are rates: the interval is cut to [0, 1]
  return { m, lo: Math.max(0, m - h), hi: Math.min(1, m + h) }
}
const f3 = (x) => x.toFixed(3)
const cell = ({ m, lo, hi }) => `${f3(m)} [${f3(lo)}, ${f3(hi)}]`
const detectors = Object.keys(runs[0].sets[Object.keys(runs[0].sets)[0]])
const names = {
  patterns: 'pattern monitor',
  mahalanobis: 'Mahalanobis',
  knn: `kNN (k = ${runArgs.k})`,
  maxSoftmax: 'max softmax',
  maxLogit: 'max logit',
  energy: 'energy',
}

console.log(
  `${runs.length} seeds (${runs.map((r) => r.seed).join(', ')}), ${runArgs.train} training digits, ${runArgs.epochs} epochs, sites ${runArgs.sites}; test accuracy ${runs.map((r) => r.accuracy.toFixed(4)).join(', ')}.\n`,
)
console.log('AUROC (higher is better): mean over seeds [95% t-interval over seeds]\n')
const sets = Object.keys(runs[0].sets)
console.log(`| detector | ${sets.join(' | ')} |`)
console.log(`| --- | ${sets.map(() => '---').join(' | ')} |`)
for (const d of detectors)
  console.log(`| ${names[d] ?? d} | ${sets.map((s) => cell(overSeeds(runs.map((r) => r.sets[s][d].auroc)))).join(' | ')} |`)
console.log('\nFPR at 95% TPR (lower is better): mean over seeds [95% t-interval over seeds]\n')
console.log(`| detector | ${sets.join(' | ')} |`)
console.log(`| --- | ${sets.map(() => '---').join(' | ')} |`)
for (const d of detectors)
  console.log(`| ${names[d] ?? d} | ${sets.map((s) => cell(overSeeds(runs.map((r) => r.sets[s][d].fpr95)))).join(' | ')} |`)

console.log('\nBest by mean AUROC per set, and whether the pattern monitor is within its interval:\n')
for (const s of sets) {
  const ranked = detectors.map((d) => [d, overSeeds(runs.map((r) => r.sets[s][d].auroc))]).sort((a, b) => b[1].m - a[1].m)
  const [best, b] = ranked[0]
  const p = ranked.find(([d]) => d === 'patterns')[1]
  const verdict = best === 'patterns' ? 'the pattern monitor is best' : p.hi >= b.lo ? 'intervals overlap' : 'the pattern monitor is below'
  console.log(`- ${s}: ${names[best]} ${f3(b.m)}; pattern monitor ${f3(p.m)}: ${verdict}`)
}

console.log('\nWithin one seed, the widest bootstrap interval of AUROC (2,000 inliers and outliers, 1,000 resamples):\n')
let widest = 0
for (const r of runs)
  for (const s of sets) for (const d of detectors) widest = Math.max(widest, r.sets[s][d].aurocInterval[1] - r.sets[s][d].aurocInterval[0])
console.log(`${f3(widest)} (high minus low)`)

console.log('\nMisclassified test digits against correctly classified ones (AUROC): mean over seeds [95% t-interval]\n')
console.log('| detector | AUROC | FPR at 95% TPR |')
console.log('| --- | --- | --- |')
for (const d of detectors) {
  const rs = runs.filter((r) => r.misclassified[d] !== undefined)
  console.log(
    `| ${names[d] ?? d} | ${cell(overSeeds(rs.map((r) => r.misclassified[d].auroc)))} | ${cell(overSeeds(rs.map((r) => r.misclassified[d].fpr95)))} |`,
  )
}

const kib = (b) => `${Math.round(b / 1024)} KiB`
// the patterns alone: 4 bytes per 32 bits of the monitored sites, per distinct pattern (the
// example's MLP: dense1 256 units, dense2 128, dense3 64)
const WIDTH = { dense1: 256, dense2: 128, dense3: 64 }
const bits = runArgs.sites.split(',').reduce((n, id) => n + WIDTH[id], 0)
const patternBytes = (r) => r.patterns * 4 * Math.ceil(bits / 32)
console.log(
  `\nMemory (seed ${runs[0].seed}): pattern monitor ${kib(runs[0].bytes.patterns)} with the search indexes built while checking (${runs[0].patterns} distinct patterns of ${bits} bits: ${kib(patternBytes(runs[0]))} of patterns), Mahalanobis ${kib(runs[0].bytes.mahalanobis)}, kNN ${kib(runs[0].bytes.knn)}.`,
)
console.log(
  `Training ${runs.map((r) => r.trainSeconds).join(', ')} s per seed; detectors built in ${runs.map((r) => r.buildSeconds).join(', ')} s.`,
)
