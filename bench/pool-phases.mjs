// Where a worker pool's time goes, on the workers bench's CNN and probe set (wasm, 4096
// examples, batch 256): probe.measure of all and of a half on the main thread, a pool of
// one worker measuring a half, a pool of two measuring all, and the main thread's own
// steps after the workers (merging the two halves' states, the results). Medians of
// `--rounds` interleaved rounds after a warm-up.
//
//   npm run -s build && node bench/pool-phases.mjs [--rounds 5] [--out FILE]
//   node bench/pool-phases.mjs --show FILE...   (the table of stored runs)
import { readFileSync, writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-wasm'
import { workerPool } from 'relu-patterns/workers'
import { median } from './harness.mjs'
import { poolCase } from './workers.mjs'

const { values: args, positionals } = parseArgs({
  options: { rounds: { type: 'string', default: '5' }, out: { type: 'string' }, show: { type: 'boolean', default: false } },
  allowPositionals: true,
})
if (args.show) {
  // node bench/pool-phases.mjs --show FILE...: the table of stored runs
  console.log(
    '| run | probe.measure, all (ms) | a half, main thread | a half, pool of one | pool of two, all | speedup | merge | results |',
  )
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
  for (const f of positionals) {
    const { date, ms: m, speedup } = JSON.parse(readFileSync(f, 'utf8'))
    console.log(
      `| ${date.slice(0, 16).replace('T', ' ')} | ${m.single} | ${m.singleHalf} | ${m.oneWorkerHalf} | ${m.twoWorkers} | ${speedup.toFixed(2)}x | ${m.merge} | ${m.results} |`,
    )
  }
  process.exit(0)
}
const { probe, xs } = await poolCase(4096)
const halves = [tf.slice(xs, 0, 2048), tf.slice(xs, 2048, 2048)]
const one = await workerPool(probe, { workers: 1 })
const two = await workerPool(probe, { workers: 2 })
const o = { batchSize: 256 }
const times = { single: [], singleHalf: [], oneWorkerHalf: [], twoWorkers: [], merge: [], results: [] }
const timed = async (key, fn) => {
  const t0 = performance.now()
  const v = await fn()
  times[key].push(performance.now() - t0)
  return v
}
const rounds = Number(args.rounds)
for (let r = 0; r <= rounds; r++) {
  const keep = r > 0 // the first round warms up
  await timed('single', () => probe.measure(xs, o))
  const a = await timed('singleHalf', () => probe.measureStates(halves[0], o))
  const b = await probe.measureStates(halves[1], o)
  const merged = await timed('merge', () => probe.mergeStates(a, b))
  await timed('results', () => probe.results(merged))
  await timed('oneWorkerHalf', () => one.measure(halves[0], o))
  await timed('twoWorkers', () => two.measure(xs, o))
  if (!keep) for (const k of Object.keys(times)) times[k].length = 0
}
await one.close()
await two.close()
const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, Math.round(median(v))]))
const out = { date: new Date().toISOString(), rounds, ms: m, speedup: m.single / m.twoWorkers, node: process.version }
console.log(
  `probe.measure, all: ${m.single} ms; a half: ${m.singleHalf} ms on the main thread, ${m.oneWorkerHalf} ms in a pool of one worker; ` +
    `a pool of two, all: ${m.twoWorkers} ms (${out.speedup.toFixed(2)}x); merging the halves' states ${m.merge} ms, results ${m.results} ms`,
)
if (args.out) writeFileSync(args.out, `${JSON.stringify(out, null, 1)}\n`)
