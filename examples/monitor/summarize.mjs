// Prints the tables of docs/findings.md and docs/monitor.md from the results of
// examples/monitor/index.mjs: per out-of-distribution set and detector, the mean over seeds
// of AUROC and FPR at 95% TPR with a 95% t-interval over seeds, and each seed's bootstrap
// interval range; the misclassification table; memory.
//
// With variants.json beside results.json (examples/monitor/variants.mjs), also the table of
// pattern-detector variants.
//
//   node examples/monitor/summarize.mjs [--results examples/monitor/results/results.json]
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
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
  nap: 'NAP, quantiles 0 and 0.75',
  napSign: 'NAP, sign only',
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

for (const mine of ['nap', 'patterns'].filter((d) => detectors.includes(d))) {
  console.log(`\nBest by mean AUROC per set, and whether ${names[mine]} is within its interval:\n`)
  for (const s of sets) {
    const ranked = detectors.map((d) => [d, overSeeds(runs.map((r) => r.sets[s][d].auroc))]).sort((a, b) => b[1].m - a[1].m)
    const [best, b] = ranked[0]
    const p = ranked.find(([d]) => d === mine)[1]
    const verdict = best === mine ? 'it is best' : p.hi >= b.lo ? 'intervals overlap' : 'it is below'
    console.log(`- ${s}: ${names[best]} ${f3(b.m)}; ${names[mine]} ${f3(p.m)}: ${verdict}`)
  }
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
const r0 = runs[0]
// per site, the distinct patterns the monitor holds (results before NAP kept only their sum over sites)
const perSite =
  r0.patternsPerSite === undefined
    ? `${r0.patterns} distinct patterns summed over its sites`
    : Object.entries(r0.patternsPerSite)
        .map(([id, n]) => `${n} at ${id}`)
        .join(' and ')
console.log(
  `\nMemory (seed ${r0.seed}): pattern monitor ${kib(r0.bytes.patterns)} with the search indexes built while checking (${perSite}` +
    (r0.patternBytes === undefined ? ')' : `: ${kib(r0.patternBytes)} of patterns)`) +
    `, Mahalanobis ${kib(r0.bytes.mahalanobis)}, kNN ${kib(r0.bytes.knn)}` +
    (r0.bytes.nap === undefined
      ? '.'
      : `, NAP ${kib(r0.bytes.nap)} before its search indexes (${r0.napPatterns} distinct patterns over its sites).`),
)
console.log(
  `Training ${runs.map((r) => r.trainSeconds).join(', ')} s per seed; detectors built in ${runs.map((r) => r.buildSeconds).join(', ')} s.`,
)

const variantsFile = join(dirname(args.results), 'variants.json')
if (existsSync(variantsFile)) {
  const v = JSON.parse(readFileSync(variantsFile, 'utf8'))
  const names = Object.keys(v.runs[0].auroc)
  const vsets = Object.keys(v.runs[0].auroc[names[0]])
  console.log(
    `\nPattern-detector variants, ${v.runs.length} seeds (${v.runs.map((r) => r.seed).join(', ')}): AUROC, mean over seeds [95% t-interval]; q: quantile levels, then how sites combine\n`,
  )
  console.log(`| variant | ${vsets.join(' | ')} | misclassified |`)
  console.log(`| --- | ${vsets.map(() => '---').join(' | ')} | --- |`)
  for (const n of names)
    console.log(
      `| ${n} | ${vsets.map((s) => cell(overSeeds(v.runs.map((r) => r.auroc[n][s])))).join(' | ')} | ${cell(overSeeds(v.runs.map((r) => r.misclassified[n])))} |`,
    )
  console.log(`\nVariants run in ${v.runs.map((r) => r.seconds).join(', ')} s per seed (training included).`)
}
