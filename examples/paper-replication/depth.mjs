// Entropy against layer over networks of 1-5 blocks per stage, the reference's depth
// figure at our scale: per family and depth, normalised entropy per site at fixed times of
// training (mean and range over seeds), how far it falls across layers of equal width, its
// value at the last site of stage 1, and plain against residual at equal depth and seed.
//
//   sh examples/paper-replication/run.sh depth        # the runs (results/depth/)
//   node examples/paper-replication/depth.mjs [--results examples/paper-replication/results/depth] [--img docs/img/replication]
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { gunzipSync } from 'node:zlib'
import { writeSvg } from '../lib/render.mjs'
import { FAMILIES } from './networks.mjs'
import { boot, signTest } from './stats.mjs'

const { values: args } = parseArgs({
  options: {
    results: { type: 'string', default: 'examples/paper-replication/results/depth' },
    img: { type: 'string', default: 'docs/img/replication' },
  },
})

const runs = readdirSync(args.results)
  .filter((f) => f.endsWith('.json.gz'))
  .map((f) => JSON.parse(gunzipSync(readFileSync(join(args.results, f))).toString()))
  .sort((a, b) => a.config.blocks - b.config.blocks || a.config.seed - b.config.seed)
const families = FAMILIES.filter((f) => runs.some((r) => r.config.family === f))
const depths = [...new Set(runs.map((r) => r.config.blocks))].sort((a, b) => a - b)
const pick = (family, blocks) => runs.filter((r) => r.config.family === family && r.config.blocks === blocks)

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length
const fmt = (v, d = 2) => v.toFixed(d).replace(/^-(0\.0*)$/, '$1') // no -0.000
const spread = (xs, d = 2) =>
  xs.length === 1 ? fmt(xs[0], d) : `${fmt(mean(xs), d)} (${fmt(Math.min(...xs), d)} to ${fmt(Math.max(...xs), d)})`

// The times of the reference's figure (its plotting script's default panels), on our step
// schedule (the rate divided by 10 at half of training): the start, after a few steps, at
// 0.1 epoch, just before the first drop, the end. schedules.mjs lowers the rate from the
// step that starts at half of training: after `drop` steps none has run at the lower rate.
const drop = (run) => Math.ceil(0.5 * run.entries.at(-1).step)
const nearest = (run, epoch) => run.entries.reduce((a, e) => (Math.abs(e.epoch - epoch) < Math.abs(a.epoch - epoch) ? e : a))
const TIMES = [
  ['init', 'initialisation', () => 0],
  ['step 10', '10 steps', (run) => run.entries.findLast((e) => e.step <= 10).step],
  ['0.1 epoch', '0.1 epoch', (run) => nearest(run, 0.1).step],
  ['before drop', 'before the drop', (run) => run.entries.findLast((e) => e.step <= drop(run)).step],
  ['end', 'end', (run) => run.entries.at(-1).step],
]
/** The entry of `run` measured after `step` steps (that step must have been measured). */
function entryAt(run, step) {
  const e = run.entries.find((x) => x.step === step)
  if (e === undefined) throw new Error(`no measurement at step ${step} in ${run.config.family} b${run.config.blocks} s${run.config.seed}`)
  return e
}
const curve = (run, time) => {
  const e = entryAt(run, time[2](run))
  return run.sites.map(({ id }) => e.sites[id].normalizedEntropy)
}

/**
 * The sites in groups of equal width and resolution, in order (a stage's sites; in resnet
 * and plain the first site of stage 2 apart, which still has stage 1's width; the final
 * ReLU with the sites before it): within a group the patterns have one width and the
 * normalisation min(C, log2 n) is one number.
 */
function groups(run) {
  const out = []
  run.sites.forEach((s, i) => {
    const last = out.at(-1)
    const prev = run.sites[i - 1]
    if (last !== undefined && prev.units === s.units && prev.positions === s.positions) last.push(i)
    else out.push([i])
  })
  return out
}

/** The most a site lies below the highest earlier site among `idx` (a fall counts whether or not a later site recovers). */
function fallIn(idx, h) {
  let worst = { value: 0, at: null }
  for (let k = 1; k < idx.length; k++) {
    const v = Math.max(...idx.slice(0, k).map((i) => h[i])) - h[idx[k]]
    if (v > worst.value) worst = { value: v, at: idx[k] }
  }
  return worst
}
/** The most a site lies below both the highest earlier and the highest later site among `idx` (none with fewer than 3). */
function dipIn(idx, h) {
  let worst = { value: 0, at: null }
  for (let k = 1; k < idx.length - 1; k++) {
    const v = Math.min(Math.max(...idx.slice(0, k).map((i) => h[i])), Math.max(...idx.slice(k + 1).map((i) => h[i]))) - h[idx[k]]
    if (v > worst.value) worst = { value: v, at: idx[k] }
  }
  return worst
}
/** The largest of `within` over the groups of `run`, with its site. */
function largest(run, h, within) {
  const worst = groups(run)
    .map((idx) => within(idx, h))
    .reduce((a, b) => (b.value > a.value ? b : a))
  return { value: worst.value, site: worst.at === null ? null : run.sites[worst.at].id }
}
/** Entropy in bits per site: normalised entropy times its bound min(C, log2 n). */
const bits = (run, time) => {
  const e = entryAt(run, time[2](run))
  return run.sites.map(({ id, units }) => e.sites[id].normalizedEntropy * Math.min(units, Math.log2(e.sites[id].rows)))
}

/** The last site of stage 1 (16 channels at 14×14 in every family and depth: one normalisation throughout). */
const stage1End = (run) => run.sites.findLastIndex((s) => s.id.startsWith('s1'))

/**
 * The readouts of a run at a time, each with the seeds looked at before it was defined
 * (compared again without them) and the fewest blocks per stage it is defined for:
 * - dip: within a group of equal width and resolution, how far normalised entropy at a
 *   site lies below both an earlier and a later site (defined before any run);
 * - fall: within such a group, how far it lies below an earlier site, recovered or not;
 * - end of stage 1: normalised entropy at the last site of stage 1;
 * - dip in bits: across the whole network, entropy in bits at a site below both an earlier
 *   and a later site (widths and normalisations differ, bits do not need one).
 */
const READOUTS = {
  dip: { seen: [], blocks: 2, of: (run, t) => largest(run, curve(run, t), dipIn) },
  fall: { seen: [1], blocks: 1, of: (run, t) => largest(run, curve(run, t), fallIn) },
  'end of stage 1': { seen: [1], blocks: 1, of: (run, t) => ({ value: curve(run, t)[stage1End(run)], site: null }) },
  'dip in bits': {
    seen: [1, 2],
    blocks: 1,
    of: (run, t) => {
      const { value, at } = dipIn(
        run.sites.map((_, i) => i),
        bits(run, t),
      )
      return { value, site: at === null ? null : run.sites[at].id }
    },
  },
}

const lines = []
const say = (s = '') => lines.push(s)

say('| network | blocks per stage | ReLU sites | seeds | test accuracy | minutes per run |')
say('| --- | --- | --- | --- | --- | --- |')
for (const family of families) {
  for (const blocks of depths) {
    const rs = pick(family, blocks)
    if (rs.length === 0) continue
    const acc = spread(
      rs.map((r) => r.testAccuracy),
      4,
    )
    const minutes = spread(
      rs.map((r) => r.trainSeconds / 60),
      0,
    )
    say(`| ${family} | ${blocks} | ${rs[0].sites.length} | ${rs.map((r) => r.config.seed).join(', ')} | ${acc} | ${minutes} |`)
  }
}
say()

for (const [readout, unit] of [
  ['dip', 'within a group of equal width and resolution'],
  ['fall', 'within a group of equal width and resolution'],
  ['dip in bits', 'across the network, in bits'],
]) {
  const { blocks: fewest, of } = READOUTS[readout]
  const limit = readout === 'dip in bits' ? 0.5 : 0.05
  say(`Largest ${readout.replace(' in bits', '')} ${unit} (mean and range over seeds):`)
  say()
  say(`| network | blocks per stage | seeds | ${TIMES.map(([name]) => name).join(' | ')} | runs above ${limit} at the end: where |`)
  say(`| --- | --- | --- | ${TIMES.map(() => '---').join(' | ')} | --- |`)
  for (const family of families) {
    for (const blocks of depths.filter((b) => b >= fewest)) {
      const rs = pick(family, blocks)
      if (rs.length === 0) continue
      const cells = TIMES.map((t) =>
        spread(
          rs.map((r) => of(r, t).value),
          3,
        ),
      )
      const big = rs.map((r) => of(r, TIMES.at(-1))).filter((f) => f.value > limit)
      const where = [...new Set(big.map((f) => f.site))].join(', ')
      say(
        `| ${family} | ${blocks} | ${rs.map((r) => r.config.seed).join(', ')} | ${cells.join(' | ')} | ${big.length} of ${rs.length}${where ? `: ${where}` : ''} |`,
      )
    }
  }
  say()
}

// plain against residual at equal depth and seed: the paper's contrast, over the seeds that
// have every depth. Per time: the mean over pairs of plain − resnet, its 95% percentile
// bootstrap interval resampling seeds (each seed's mean over the depths; given from 4
// seeds), in how many pairs plain is above with an exact sign test (pairs of one seed share
// initial weights and data order: descriptive), and in how many seeds. A readout defined
// after some seeds were seen is also compared on the other seeds alone.
const complete = (sd) => depths.every((b) => ['plain', 'resnet'].every((f) => pick(f, b).some((r) => r.config.seed === sd)))
const allSeeds = [...new Set(runs.map((r) => r.config.seed))].filter(complete).sort((a, b) => a - b)
say(`| readout | seeds | depths | ${TIMES.map(([name]) => name).join(' | ')} |`)
say(`| --- | --- | --- | ${TIMES.map(() => '---').join(' | ')} |`)
for (const [readout, { seen, blocks: fewest, of }] of Object.entries(READOUTS)) {
  const unseen = allSeeds.filter((sd) => !seen.includes(sd))
  const seedSets = seen.length === 0 ? [allSeeds] : [allSeeds, unseen]
  const used = depths.filter((b) => b >= fewest)
  for (const seeds of seedSets.filter((x) => x.length > 0)) {
    const cells = TIMES.map((t) => {
      const perSeed = seeds.map((sd) =>
        used.map((b) => {
          const [p, r] = ['plain', 'resnet'].map((f) => pick(f, b).find((x) => x.config.seed === sd))
          return of(p, t).value - of(r, t).value
        }),
      )
      const diffs = perSeed.flat()
      const wins = diffs.filter((d) => d > 0).length
      const n = diffs.filter((d) => d !== 0).length
      const { lo, hi } = boot(perSeed.map(mean))
      const interval = seeds.length >= 4 ? ` [${fmt(lo, 3)}, ${fmt(hi, 3)}]` : ''
      const seedWins = perSeed.filter((d) => mean(d) > 0).length
      return `${fmt(mean(diffs), 3)}${interval}; above in ${wins} of ${n}, p = ${fmt(signTest(wins, n), 3)}; seeds ${seedWins} of ${seeds.length}`
    })
    say(`| ${readout} | ${seeds.join(', ')} | ${used.join(', ')} | ${cells.join(' | ')} |`)
  }
}
say()

// normalised entropy at the last site of stage 1, per time: how deep plain layers lose it
say('Normalised entropy at the last site of stage 1 (mean and range over seeds):')
say()
say(`| network | blocks per stage | site | seeds | ${TIMES.map(([name]) => name).join(' | ')} |`)
say(`| --- | --- | --- | --- | ${TIMES.map(() => '---').join(' | ')} |`)
for (const family of families) {
  for (const blocks of depths) {
    const rs = pick(family, blocks)
    if (rs.length === 0) continue
    const cells = TIMES.map((t) =>
      spread(
        rs.map((r) => READOUTS['end of stage 1'].of(r, t).value),
        3,
      ),
    )
    say(
      `| ${family} | ${blocks} | ${rs[0].sites[stage1End(rs[0])].id} | ${rs.map((r) => r.config.seed).join(', ')} | ${cells.join(' | ')} |`,
    )
  }
}
say()
say(`${runs.length} runs.`)
console.log(lines.join('\n'))

// ---- the figure: rows are times, columns families, one line per depth ----
// a row's label: the time and the epoch it falls at (the same in every run: one schedule, one grid)
const label = (t) => `${t[1]}, epoch ${entryAt(runs[0], t[2](runs[0])).epoch.toFixed(2)}`
const values = []
for (const family of families) {
  for (const blocks of depths) {
    const rs = pick(family, blocks)
    if (rs.length === 0) continue
    for (const t of TIMES) {
      const hs = rs.map((r) => curve(r, t))
      rs[0].sites.forEach(({ id }, i) => {
        const v = hs.map((h) => h[i])
        values.push({ family, blocks, time: label(t), layer: i + 1, site: id, value: mean(v), lo: Math.min(...v), hi: Math.max(...v) })
      })
    }
  }
}
if (values.length > 0) {
  await writeSvg(
    {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      title: {
        text: `Normalised entropy against layer, ${depths[0]}-${depths.at(-1)} blocks per stage (MNIST, step schedule, one epoch)`,
        subtitle: `mean and range over seeds: ${families.map((f) => `${f} ${[...new Set(runs.filter((r) => r.config.family === f).map((r) => r.config.seed))].join(', ')}`).join('; ')}`,
      },
      data: { values },
      facet: {
        row: { field: 'time', sort: TIMES.map((t) => label(t)), title: null },
        column: { field: 'family', sort: FAMILIES, title: null },
      },
      spec: {
        width: 220,
        height: 120,
        layer: [
          { mark: { type: 'errorband', opacity: 0.2 }, encoding: { y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } } },
          { mark: { type: 'line', point: { size: 12 }, strokeWidth: 1.5 } },
        ],
        encoding: {
          x: { field: 'layer', type: 'quantitative', title: 'ReLU site (layer)', axis: { tickMinStep: 1 } },
          y: { field: 'value', type: 'quantitative', title: 'H / Hmax', scale: { domain: [0, 1] } },
          color: { field: 'blocks', type: 'ordinal', title: 'blocks per stage', scale: { scheme: 'viridis', extent: [0, 0.85] } },
        },
      },
    },
    join(args.img, 'entropy-by-layer-depths.svg'),
  )
}
