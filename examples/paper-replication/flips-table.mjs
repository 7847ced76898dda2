// Prints the bottom-up tables of docs/findings.md from flips.json (flips.mjs): per site,
// when the share of bits that still differ from the final patterns falls to half (and to a
// quarter) of its value at initialisation, on the epoch axis with linear interpolation
// between checkpoints; per run, Spearman's correlation of depth and that epoch over the
// sites after the first (the first reads the stem convolution and is reported apart),
// over all those sites and within sites of one width; means over seeds with percentile
// bootstrap intervals over seeds (10,000 resamples, seeded).
//
//   node examples/paper-replication/flips-table.mjs [--flips examples/paper-replication/results/flips.json]
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { boot } from './stats.mjs'

const { values: args } = parseArgs({ options: { flips: { type: 'string', default: 'examples/paper-replication/results/flips.json' } } })
const { probes, runs } = JSON.parse(readFileSync(args.flips, 'utf8'))

/** The first epoch at which `f` falls to `share` of its initial value, interpolated linearly; null if never. */
function crossing(epochs, f, share) {
  const level = f[0] * share
  for (let i = 1; i < f.length; i++) {
    if (f[i] <= level) {
      const t0 = epochs[i - 1]
      const t1 = epochs[i]
      return f[i - 1] === f[i] ? t1 : t0 + ((f[i - 1] - level) / (f[i - 1] - f[i])) * (t1 - t0)
    }
  }
  return null
}

/** Average ranks (ties share their mean rank). */
function ranks(v) {
  const order = v.map((x, i) => [x, i]).sort((a, b) => a[0] - b[0])
  const r = new Array(v.length)
  for (let i = 0; i < order.length; ) {
    let j = i
    while (j < order.length && order[j][0] === order[i][0]) j++
    for (let k = i; k < j; k++) r[order[k][1]] = (i + j + 1) / 2
    i = j
  }
  return r
}

/** Spearman's rho: Pearson's correlation of the ranks; null when either side is constant or too short. */
function spearman(x, y) {
  if (x.length < 3) return null
  const rx = ranks(x)
  const ry = ranks(y)
  const m = (v) => v.reduce((a, b) => a + b, 0) / v.length
  const mx = m(rx)
  const my = m(ry)
  let sxy = 0
  let sxx = 0
  let syy = 0
  for (let i = 0; i < x.length; i++) {
    sxy += (rx[i] - mx) * (ry[i] - my)
    sxx += (rx[i] - mx) ** 2
    syy += (ry[i] - my) ** 2
  }
  return sxx === 0 || syy === 0 ? null : sxy / Math.sqrt(sxx * syy)
}

const f2 = (x) => (x === null ? '-' : x.toFixed(2))
const cell = ({ m, lo, hi }) => `${f2(m)} [${f2(lo)}, ${f2(hi)}]`

const families = [...new Set(runs.map((r) => r.family))]
const seedsOf = (family) => runs.filter((r) => r.family === family)
console.log(
  `${runs.length} runs (${families
    .map(
      (f) =>
        `${f}: seeds ${seedsOf(f)
          .map((r) => r.seed)
          .join(', ')}`,
    )
    .join('; ')}), one-cycle, checkpoints at ${runs[0].steps.length} steps; probe sets of ${probes.join(' and ')} training digits.`,
)
console.log(
  `Checkpoints checked against the runs' own measurements: ${runs.every((r) => r.checked) ? 'every run' : runs.filter((r) => r.checked).length}.\n`,
)

for (const n of probes) {
  console.log(
    `Epoch at which the bits still differing from the final patterns fall to half their initial share (probe set ${n}): mean over seeds [95% bootstrap interval]\n`,
  )
  console.log(
    `| site | units | ${families.map((f) => `${f}: initial share differing | ${f}: half at epoch | ${f}: quarter at epoch`).join(' | ')} |`,
  )
  console.log(`| --- | --- | ${families.map(() => '--- | --- | ---').join(' | ')} |`)
  for (const [i, site] of runs[0].sites.entries()) {
    const cells = families.map((f) => {
      const rs = seedsOf(f)
      const series = rs.map((r) => r.flips[n][site.id])
      const half = rs.map((r, k) => crossing(r.epochs, series[k], 0.5))
      const quarter = rs.map((r, k) => crossing(r.epochs, series[k], 0.25))
      const ok = (v) => (v.some((x) => x === null) ? { m: null, lo: null, hi: null } : boot(v))
      return `${cell(boot(series.map((s) => s[0])))} | ${cell(ok(half))} | ${cell(ok(quarter))}`
    })
    console.log(`| ${i === 0 ? `${site.id} (after the stem)` : site.id} | ${site.units} | ${cells.join(' | ')} |`)
  }
  console.log('')
}

const n = probes[0]
console.log(
  `Spearman's rho of depth and the half-way epoch, per run, over the sites after the first (probe set ${n}${probes.length > 1 ? `; for ${probes.slice(1).join(', ')} below` : ''})\n`,
)
console.log('| network | sites | rho per seed | mean [95% bootstrap interval] |')
console.log('| --- | --- | --- | --- |')
const rhoRows = {}
for (const size of probes) {
  for (const f of families) {
    const rs = seedsOf(f)
    const groups = { 'all after the first': (_, i) => i > 0 }
    for (const u of [...new Set(rs[0].sites.map((s) => s.units))])
      groups[`${u}-unit sites after the first`] = (s, i) => i > 0 && s.units === u
    for (const [name, keep] of Object.entries(groups)) {
      const rhos = rs.map((r) => {
        const idx = r.sites.map((_, i) => i).filter((i) => keep(r.sites[i], i))
        const t = idx.map((i) => crossing(r.epochs, r.flips[size][r.sites[i].id], 0.5))
        return t.some((x) => x === null) ? null : spearman(idx, t)
      })
      const known = rhos.filter((x) => x !== null)
      rhoRows[`${size} ${f} ${name}`] = known
      if (size === n) console.log(`| ${f} | ${name} | ${rhos.map(f2).join(', ')} | ${known.length === 0 ? '-' : cell(boot(known))} |`)
    }
  }
}
for (const size of probes.slice(1)) {
  console.log(`\nWith the probe set of ${size}:\n`)
  console.log('| network | sites | mean [95% bootstrap interval] |')
  console.log('| --- | --- | --- |')
  for (const [key, v] of Object.entries(rhoRows)) {
    if (!key.startsWith(`${size} `)) continue
    const [, f, ...rest] = key.split(' ')
    console.log(`| ${f} | ${rest.join(' ')} | ${v.length === 0 ? '-' : cell(boot(v))} |`)
  }
}
if (families.includes('resnet') && families.includes('plain')) {
  const a = rhoRows[`${n} resnet all after the first`]
  const b = rhoRows[`${n} plain all after the first`]
  if (a.length === b.length && a.length > 1) {
    // seeds paired: the same seed number gives both networks their initialisers' seeds
    console.log(`\nresnet minus plain, rho over the sites after the first, paired by seed: ${cell(boot(a.map((x, i) => x - b[i])))}`)
  }
}
console.log(`\nMeasured in ${runs.map((r) => r.seconds).join(', ')} s per run (both probe sets).`)
