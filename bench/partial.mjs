// Partial execution of a graph model, instrumented against bare: nsfwjs's MobileNetV2
// executed up to its first block (two sites above it), cpu, 15 interleaved rounds in each
// order. npm run bench:partial [-- --out FILE]; the full bench (npm run bench) runs it too.
// node bench/partial.mjs --show A.json B.json prints the table of docs/performance.md from stored runs.
import { readFileSync, writeFileSync } from 'node:fs'
import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-cpu'
import { partialOverhead } from './graph.mjs'

const show = process.argv.indexOf('--show')
if (show >= 0) {
  console.log(
    '| run | instrumented / bare | plain first | instrumented first | bare ms | sites recorded | target |\n| --- | --- | --- | --- | --- | --- | --- |',
  )
  for (const file of process.argv.slice(show + 1)) {
    const r = JSON.parse(readFileSync(file, 'utf8'))
    console.log(
      `| ${r.date.slice(0, 16)} | ${r.ratio.toFixed(3)} | ${r.plainFirst.toFixed(3)} | ${r.tappedFirst.toFixed(3)} | ${r.plainMs.toFixed(0)} | ${r.recorded} | <= 1.05 |`,
    )
  }
  process.exit(0)
}
await tf.setBackend('cpu')
const r = await partialOverhead({ rounds: 15, batch: 2 })
const out = { date: new Date().toISOString(), node: process.version, rounds: 15, batch: 2, ...r }
console.log(
  `MobileNetV2 executed up to its first block (${r.recorded} sites recorded), cpu: instrumented / bare ${r.ratio.toFixed(3)} (plain first ${r.plainFirst.toFixed(3)}, instrumented first ${r.tappedFirst.toFixed(3)}; ${r.plainMs.toFixed(1)} ms bare; target <= 1.05)`,
)
const at = process.argv.indexOf('--out')
if (at >= 0) writeFileSync(process.argv[at + 1], `${JSON.stringify(out, null, 2)}\n`)
