// Tables and figures from the runs of train.mjs: accuracy, the claims of Hartmann et al.
// (2021) measured on each run (mean and range over seeds), and the paper's figures at
// our scale (heatmaps over the early phase, entropy across depth, weighted Jaccard
// against the final measurement per layer and learning-rate schedule).
//
//   node examples/paper-replication/summarize.mjs [--results examples/paper-replication/results] [--img docs/img/replication]
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { gunzipSync } from 'node:zlib'
import { writeSvg } from '../lib/render.mjs'
import { FAMILIES } from './networks.mjs'

const { values: args } = parseArgs({
  options: {
    results: { type: 'string', default: 'examples/paper-replication/results' },
    img: { type: 'string', default: 'docs/img/replication' },
  },
})

const runs = readdirSync(args.results)
  .filter((f) => f.endsWith('.json.gz'))
  .map((f) => JSON.parse(gunzipSync(readFileSync(join(args.results, f))).toString()))
const pick = (dataset, family, schedule) =>
  runs
    .filter((r) => r.config.dataset === dataset && r.config.family === family && r.config.schedule === schedule)
    .sort((a, b) => a.config.seed - b.config.seed)

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length
const fmt = (v, d = 2) => (v === null || Number.isNaN(v) ? '-' : v.toFixed(d))
const spread = (xs, d = 2) =>
  xs.length === 1 ? fmt(xs[0], d) : `${fmt(mean(xs), d)} (${fmt(Math.min(...xs), d)}-${fmt(Math.max(...xs), d)})`

/** Spearman's rank correlation (average ranks for ties). */
function spearman(a, b) {
  const rank = (xs) => {
    const order = xs.map((v, i) => [v, i]).sort((p, q) => p[0] - q[0])
    const r = new Array(xs.length)
    for (let i = 0; i < order.length; ) {
      let j = i
      while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++
      for (let k = i; k <= j; k++) r[order[k][1]] = (i + j) / 2
      i = j + 1
    }
    return r
  }
  const [ra, rb] = [rank(a), rank(b)]
  const [ma, mb] = [mean(ra), mean(rb)]
  let num = 0,
    da = 0,
    db = 0
  for (let i = 0; i < ra.length; i++) {
    num += (ra[i] - ma) * (rb[i] - mb)
    da += (ra[i] - ma) ** 2
    db += (rb[i] - mb) ** 2
  }
  return da === 0 || db === 0 ? NaN : num / Math.sqrt(da * db)
}

/** The measurements every --every epoch of `run` (the early phase's per-step ones left out). */
const onGrid = (run) => (e) => e.step === 0 || e.step > run.config.early

/** Per site, the first epoch at which weighted Jaccard against the final measurement reaches `level`. */
function reachEpochs(run, level) {
  const grid = run.entries.filter(onGrid(run))
  return run.sites.map(({ id }) => grid.find((e) => (e.sites[id].vsFinal?.weightedJaccard ?? 0) >= level).epoch)
}

/** Per site, how far normalised entropy falls below both its start and its end in between. */
function dips(run) {
  return run.sites.map(({ id }) => {
    const h = run.entries.map((e) => e.sites[id].normalizedEntropy)
    const inner = Math.min(...h.slice(1, -1))
    return Math.max(0, Math.min(h[0], h.at(-1)) - inner)
  })
}

const lines = []
const say = (s = '') => lines.push(s)

say('| network | data | schedule | seeds | test accuracy | training accuracy, last epoch | minutes per run |')
say('| --- | --- | --- | --- | --- | --- | --- |')
for (const dataset of ['mnist', 'fashion']) {
  for (const schedule of ['onecycle', 'step', 'cyclic']) {
    for (const family of FAMILIES) {
      const rs = pick(dataset, family, schedule)
      if (rs.length === 0) continue
      say(
        `| ${family} | ${dataset === 'mnist' ? 'MNIST' : 'Fashion-MNIST'} | ${schedule} | ${rs.map((r) => r.config.seed).join(', ')} | ` +
          `${spread(
            rs.map((r) => r.testAccuracy),
            4,
          )} | ${spread(
            rs.map((r) => r.trainAccuracy.at(-1)),
            4,
          )} | ${spread(
            rs.map((r) => r.trainSeconds / 60),
            0,
          )} |`,
      )
    }
  }
}
say()

for (const dataset of ['mnist', 'fashion']) {
  const main = FAMILIES.map((f) => [f, pick(dataset, f, 'onecycle')]).filter(([, r]) => r.length > 0)
  if (main.length === 0) continue
  say(`### ${dataset === 'mnist' ? 'MNIST' : 'Fashion-MNIST'}, one-cycle schedule`)
  say()
  say(
    '| network | seeds | test accuracy | epoch wJ vs final reaches 0.5, first → last site (mean) | Spearman(depth, that epoch) | spread across sites (epochs) | largest entropy dip | sites with a dip > 0.05 |',
  )
  say('| --- | --- | --- | --- | --- | --- | --- | --- |')
  for (const [family, rs] of main) {
    const settle = rs.map((r) => reachEpochs(r, 0.5))
    const sites = rs[0].sites.length
    const perSite = Array.from({ length: sites }, (_, s) => mean(settle.map((x) => x[s])))
    const rho = rs.map((r, i) =>
      spearman(
        r.sites.map((_, s) => s),
        settle[i],
      ),
    )
    const width = settle.map((x) => Math.max(...x) - Math.min(...x))
    const d = rs.map(dips)
    say(
      `| ${family} | ${rs.map((r) => r.config.seed).join(', ')} | ${spread(
        rs.map((r) => r.testAccuracy),
        4,
      )} | ${perSite.map((v) => fmt(v, 1)).join(' ')} | ` +
        `${spread(rho)} | ${spread(width)} | ${spread(d.map((x) => Math.max(...x)))} | ${spread(
          d.map((x) => x.filter((v) => v > 0.05).length),
          1,
        )} |`,
    )
  }
  say()
  const others = ['step', 'cyclic'].flatMap((s) => FAMILIES.map((f) => [f, s, pick(dataset, f, s)])).filter(([, , r]) => r.length > 0)
  if (others.length > 0) {
    say(
      '| network | schedule | seeds | test accuracy | epoch wJ vs final reaches 0.5, per site | Spearman(depth, that epoch) | largest entropy dip |',
    )
    say('| --- | --- | --- | --- | --- | --- | --- |')
    for (const [family, schedule, rs] of others) {
      const settle = rs.map((r) => reachEpochs(r, 0.5))
      say(
        `| ${family} | ${schedule} | ${rs.map((r) => r.config.seed).join(', ')} | ${spread(
          rs.map((r) => r.testAccuracy),
          4,
        )} | ` +
          `${settle[0].map((v) => fmt(v, 1)).join(' ')} | ${spread(
            rs.map((r, i) =>
              spearman(
                r.sites.map((_, s) => s),
                settle[i],
              ),
            ),
          )} | ${spread(rs.map((r) => Math.max(...dips(r))))} |`,
      )
    }
    say()
  }
}
// every run on its own: what the means above hide
say('### Every run')
say()
say(
  '| data | network | schedule | seed | test accuracy | epoch wJ vs final reaches 0.5, per site | highest wJ vs final at a stage-2 site before the last measurement | largest fall of normalised entropy, start to end |',
)
say('| --- | --- | --- | --- | --- | --- | --- | --- |')
for (const r of [...runs].sort((a, b) =>
  `${a.config.dataset} ${a.config.family} ${a.config.schedule} ${a.config.seed}`.localeCompare(
    `${b.config.dataset} ${b.config.family} ${b.config.schedule} ${b.config.seed}`,
  ),
)) {
  const stage2 = r.sites.filter(({ id }) => id.startsWith('s2'))
  const before = r.entries.slice(0, -1)
  const highest = Math.max(...stage2.flatMap(({ id }) => before.map((e) => e.sites[id].vsFinal?.weightedJaccard ?? 0)))
  // a fall that never recovers: end below start
  const falls = r.sites.map(({ id }) => {
    const h = r.entries.map((e) => e.sites[id].normalizedEntropy)
    return [id, h[0], h.at(-1)]
  })
  const [site, from, to] = falls.reduce((a, b) => (b[1] - b[2] > a[1] - a[2] ? b : a))
  say(
    `| ${r.config.dataset} | ${r.config.family} | ${r.config.schedule} | ${r.config.seed} | ${fmt(r.testAccuracy, 4)} | ${reachEpochs(
      r,
      0.5,
    )
      .map((v) => fmt(v, 1))
      .join(' ')} | ${fmt(highest)} | ${from > to ? `${site}: ${fmt(from, 3)} → ${fmt(to, 3)}` : 'none'} |`,
  )
}
say()
say(`${runs.length} runs.`)
console.log(lines.join('\n'))

// ---- figures (MNIST, one-cycle, mean over seeds) ----
const depthOf = (run) => Object.fromEntries(run.sites.map((s, i) => [s.id, i]))
function rows(dataset, schedule, value, filter = () => true) {
  const out = []
  for (const family of FAMILIES) {
    const rs = pick(dataset, family, schedule)
    if (rs.length === 0) continue
    const depth = depthOf(rs[0])
    rs[0].entries.forEach((e, i) => {
      if (!filter(e, rs[0])) return
      for (const { id } of rs[0].sites) {
        const vs = rs.map((r) => value(r.entries[i]?.sites[id])).filter((v) => v !== null && v !== undefined)
        if (vs.length === 0) continue
        out.push({
          family,
          site: `${String(depth[id]).padStart(2, '0')} ${id}`,
          depth: depth[id],
          step: e.step,
          epoch: e.epoch,
          schedule,
          value: mean(vs),
          lo: Math.min(...vs),
          hi: Math.max(...vs),
        })
      }
    })
  }
  return out
}

const early = (e, run) => e.step <= run.config.early
const heatmaps = [
  ['share-changed', 'share of patterns changed vs previous', (s) => s?.vsPrevious?.shareChanged],
  ['entropy', 'normalised entropy', (s) => s?.normalizedEntropy],
  ['jaccard', 'Jaccard vs first', (s) => s?.vsFirst?.jaccard],
  ['weighted-jaccard', 'weighted Jaccard vs first', (s) => s?.vsFirst?.weightedJaccard],
  ['top-share', 'share of the most frequent pattern', (s) => s?.topShare],
]
for (const [file, title, value] of heatmaps) {
  const data = rows('mnist', 'onecycle', value, early)
  if (data.length === 0) continue
  await writeSvg(
    {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      title: `Early phase: ${title} (MNIST, mean over seeds)`,
      config: { aria: false }, // no label per cell: 2,700 cells would make the file ten times larger
      data: { values: data },
      facet: { column: { field: 'family', sort: FAMILIES, title: null } },
      spec: {
        width: 260,
        height: 160,
        mark: 'rect',
        encoding: {
          x: { field: 'step', type: 'ordinal', title: 'training step', axis: { values: [0, 20, 40, 60, 80, 100], labelAngle: 0 } },
          y: { field: 'site', type: 'ordinal', title: null, sort: 'descending' },
          color: { field: 'value', type: 'quantitative', title: null, scale: { scheme: 'viridis' } },
        },
      },
    },
    join(args.img, `early-${file}.svg`),
  )
}

const times = [0, 0.2, 1, 2]
const atTimes = rows(
  'mnist',
  'onecycle',
  (s) => s?.normalizedEntropy,
  (e, run) => onGrid(run)(e) && times.some((t) => Math.abs(e.epoch - t) < 0.01),
).map((r) => ({ ...r, epoch: Math.round(r.epoch * 10) / 10 })) // the 0.2-epoch steps fall a fraction of a step late
if (atTimes.length > 0) {
  await writeSvg(
    {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      title: 'Normalised entropy across depth at fixed times (MNIST, mean and range over seeds)',
      data: { values: atTimes },
      facet: { column: { field: 'family', sort: FAMILIES, title: null } },
      spec: {
        width: 220,
        height: 180,
        layer: [
          { mark: { type: 'errorband', opacity: 0.25 }, encoding: { y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } } },
          { mark: { type: 'line', point: true } },
        ],
        encoding: {
          x: { field: 'depth', type: 'quantitative', title: 'site (depth)' },
          y: { field: 'value', type: 'quantitative', title: 'H / Hmax', scale: { zero: false } },
          color: { field: 'epoch', type: 'ordinal', title: 'epoch' },
        },
      },
    },
    join(args.img, 'entropy-by-depth.svg'),
  )
}

const vsFinal = ['onecycle', 'step', 'cyclic'].flatMap((s) =>
  rows(
    'mnist',
    s,
    (x) => x?.vsFinal?.weightedJaccard,
    (e, run) => onGrid(run)(e),
  ),
)
if (vsFinal.length > 0) {
  // one row of panels per schedule (a row/column facet misplaced panels when a family lacks a schedule)
  const schedules = ['onecycle', 'step', 'cyclic'].filter((sc) => vsFinal.some((r) => r.schedule === sc))
  await writeSvg(
    {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      title: 'Weighted Jaccard against the final measurement per site (MNIST; one-cycle: mean over seeds)',
      data: { values: vsFinal },
      vconcat: schedules.map((schedule) => ({
        title: { text: `${schedule} schedule${schedule === 'onecycle' ? '' : ' (seed 1)'}`, anchor: 'start', fontSize: 12 },
        transform: [{ filter: { field: 'schedule', equal: schedule } }],
        facet: { column: { field: 'family', sort: FAMILIES, title: null } },
        spec: {
          width: 220,
          height: 130,
          mark: { type: 'line', strokeWidth: 1.5 },
          encoding: {
            x: { field: 'epoch', type: 'quantitative', title: 'epoch' },
            y: { field: 'value', type: 'quantitative', title: 'wJ vs final', scale: { domain: [0, 1] } },
            color: { field: 'depth', type: 'quantitative', title: 'site (depth)', scale: { scheme: 'plasma' } },
            detail: { field: 'site' },
          },
        },
      })),
    },
    join(args.img, 'jaccard-vs-final.svg'),
  )
}
