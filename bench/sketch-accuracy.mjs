// Accuracy of patternHistogram past its memory cap at 10^8 distinct patterns, through the
// public reducer API: a 1 MiB table, then 10^8 distinct two-word patterns, each seen twice
// (two passes, so the count is not bounded by the untracked rows), plus a heavy pattern
// repeated 10^6 times; the estimates against the exact values.
//
//   npm run build && node bench/sketch-accuracy.mjs [--distinct 100000000] [--seeds 3]
import { parseArgs } from 'node:util'
import { patternHistogram } from 'relu-patterns'

const { values: args } = parseArgs({
  options: { distinct: { type: 'string', default: '100000000' }, seeds: { type: 'string', default: '3' } },
})
const n = Number(args.distinct)
const heavy = 1_000_000
const batchRows = 1 << 20
for (let seed = 1; seed <= Number(args.seeds); seed++) {
  const h = patternHistogram({ maxBytes: 1 << 20 })
  const state = h.init({ units: 64, wordsPerRow: 2 })
  const words = new Uint32Array(batchRows * 2)
  const started = performance.now()
  let next = 0
  let heavyLeft = heavy
  const total = 2 * n // every pattern twice
  while (next < total || heavyLeft > 0) {
    let rows = 0
    for (; rows < batchRows && (next < total || heavyLeft > 0); rows++) {
      // every 100th row is the heavy pattern until it has been seen `heavy` times
      if (heavyLeft > 0 && (rows % 100 === 0 || next >= total)) {
        words[2 * rows] = 0xffffffff
        words[2 * rows + 1] = seed
        heavyLeft--
      } else {
        words[2 * rows] = next++ % n
        words[2 * rows + 1] = seed * 7919
      }
    }
    h.update(state, { words, rows, units: 64, wordsPerRow: 2, nonFinite: 0, positions: 1, labels: null })
  }
  const r = h.result(state)
  const e = r.estimates
  const trueDistinct = n + 1
  const relative = e.distinct / trueDistinct - 1
  if (e.distinct >= r.distinct + r.untracked) throw new Error('the estimate is at its upper bound: the stream does not test the sketch')
  console.log(
    `seed ${seed}: ${trueDistinct.toLocaleString('en')} distinct in ${r.rows.toLocaleString('en')} rows, ` +
      `estimate ${Math.round(e.distinct).toLocaleString('en')} (${(100 * relative).toFixed(3)}%, stated standard error ${(100 * e.distinctError).toFixed(2)}%), ` +
      `heavy pattern count in [${e.topCountBounds[0]}, ${e.topCountBounds[1]}] (true ${heavy}), ` +
      `${((performance.now() - started) / 1000).toFixed(0)} s`,
  )
  if (Math.abs(relative) > 0.02) process.exitCode = 1
}
