// Prints the tables of the linear-regions section of docs/findings.md from the results of
// examples/regions/index.mjs: regions per segment and local complexity over training
// (random lines and lines toward another digit, at test and training digits, per radius),
// the plane counts with a sign test, and NASWOT against accuracy with Kendall's tau and its
// exact permutation p-value.
//
//   node examples/regions/summarize.mjs [--results examples/regions/results/results.json]
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'

const { values: args } = parseArgs({ options: { results: { type: 'string', default: 'examples/regions/results/results.json' } } })
const r = JSON.parse(readFileSync(args.results, 'utf8'))
const mean = (v) => v.reduce((a, b) => a + b, 0) / v.length
const f1 = (x) => x.toFixed(1)
const spread = (v) => `${f1(mean(v))} (${f1(Math.min(...v))}-${f1(Math.max(...v))})`
const seeds = [...new Set(r.points.map((p) => p.seed))]
console.log(`${seeds.length} seeds; ${r.args.train} digits x ${r.args.epochs} epochs; ${r.seconds ?? '?'} s in all.\n`)

const at = [...new Set(r.points.map((p) => p.examples))]
const keys = Object.keys(r.points[0].complexity ?? {})
console.log('Regions per segment between test digits of different classes, mean (min-max over seeds):\n')
console.log('| examples seen | regions per segment |')
console.log('| ---: | --- |')
for (const e of at)
  console.log(`| ${e.toLocaleString('en')} | ${spread(r.points.filter((p) => p.examples === e).map((p) => p.regionsAlong))} |`)
for (const set of ['test', 'train']) {
  const mine = keys.filter((k) => k.endsWith(`-${set}-${k.split('-')[2]}`) && k.includes(`-${set}-`))
  if (mine.length === 0) continue
  console.log(
    `\nLocal complexity at ${r.args.lc} ${set === 'test' ? 'test' : 'training'} digits (regions on a line of length 2 x radius), mean (min-max over seeds):\n`,
  )
  console.log(`| examples seen | ${mine.map((k) => `${k.split('-')[0]}, r = ${k.split('-')[2]}`).join(' | ')} |`)
  console.log(`| ---: | ${mine.map(() => '---').join(' | ')} |`)
  for (const e of at) {
    const here = r.points.filter((p) => p.examples === e)
    console.log(`| ${e.toLocaleString('en')} | ${mine.map((k) => spread(here.map((p) => p.complexity[k]))).join(' | ')} |`)
  }
}
if (keys.length > 0) {
  const first = at[0]
  const last = at[at.length - 1]
  console.log('\nEnd of training over initialisation, per seed (local complexity):\n')
  for (const k of keys) {
    const ratios = seeds.map((s) => {
      const v = (e) => r.points.find((p) => p.seed === s && p.examples === e).complexity[k]
      return v(last) / v(first)
    })
    console.log(`- ${k}: ${ratios.map((x) => x.toFixed(2)).join(', ')}`)
  }
}

// the plane through three test digits: a two-sided sign test of "fewer regions after training"
const fewer = r.runs.filter((x) => x.planeRegions.trained < x.planeRegions.init).length
const n = r.runs.length
let tail = 0
const choose = (a, b) => (b === 0 ? 1 : (a * choose(a - 1, b - 1)) / b)
for (let k = 0; k <= n; k++) if (Math.abs(k - n / 2) >= Math.abs(fewer - n / 2)) tail += choose(n, k) / 2 ** n
console.log(
  `\nPlane through three test digits: ${r.runs.map((x) => `${x.planeRegions.init} -> ${x.planeRegions.trained}`).join(', ')}; fewer after training in ${fewer} of ${n}; two-sided sign test p = ${Math.min(1, tail).toFixed(3)}.`,
)

// NASWOT: Kendall's tau of mean score and mean accuracy over architectures, exact permutation p
const archs = [...new Set(r.naswot.map((x) => x.arch))]
const byArch = archs.map((a) => {
  const mine = r.naswot.filter((x) => x.arch === a)
  return { arch: a, naswot: mean(mine.map((x) => x.naswot)), accuracy: mean(mine.map((x) => x.accuracy)) }
})
const kendall = (a, b) => {
  let s = 0
  let m = 0
  for (let i = 0; i < a.length; i++) for (let j = i + 1; j < a.length; j++) (s += Math.sign(a[i] - a[j]) * Math.sign(b[i] - b[j])), m++
  return m === 0 ? 0 : s / m
}
const x = byArch.map((b) => b.naswot)
const y = byArch.map((b) => b.accuracy)
const tau = kendall(x, y)
let asExtreme = 0
let total = 0
const permute = (rest, chosen) => {
  if (rest.length === 0) {
    total++
    if (Math.abs(kendall(x, chosen)) >= Math.abs(tau) - 1e-12) asExtreme++
    return
  }
  for (let i = 0; i < rest.length; i++) permute([...rest.slice(0, i), ...rest.slice(i + 1)], [...chosen, rest[i]])
}
if (byArch.length <= 9) permute(y, [])
console.log(`\nNASWOT over ${byArch.length} architectures:\n`)
console.log('| widths | NASWOT (seeds) | test accuracy (seeds) | mean accuracy |')
console.log('| --- | --- | --- | ---: |')
for (const a of archs) {
  const mine = r.naswot.filter((v) => v.arch === a)
  console.log(
    `| ${a} | ${mine.map((v) => f1(v.naswot)).join(', ')} | ${mine.map((v) => v.accuracy.toFixed(3)).join(', ')} | ${mean(mine.map((v) => v.accuracy)).toFixed(3)} |`,
  )
}
console.log(
  `\nKendall tau of mean NASWOT and mean accuracy: ${tau.toFixed(2)}${total > 0 ? `; exact two-sided permutation p = ${(asExtreme / total).toFixed(3)} (${asExtreme} of ${total} orders as extreme)` : ''}.`,
)
