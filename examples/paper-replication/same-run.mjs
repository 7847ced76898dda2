// Is a re-run the same run? Compares two results files of train.mjs: every count equal,
// every other number equal to the fifth decimal (train.mjs rounds there; files written by
// an earlier version were rounded at six), the training time aside. Exits 1 if they differ.
//
//   node examples/paper-replication/same-run.mjs committed.json.gz rerun.json.gz
import { readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'

const [a, b] = process.argv.slice(2).map((f) => JSON.parse(gunzipSync(readFileSync(f))))
if (a === undefined || b === undefined) throw new Error('usage: same-run.mjs first.json.gz second.json.gz')
delete a.trainSeconds
delete b.trainSeconds
let differ = 0
function walk(x, y, path) {
  if (typeof x === 'number' && typeof y === 'number') {
    const ok = Number.isInteger(x) && Number.isInteger(y) && Math.abs(x) > 1 ? x === y : Math.abs(x - y) <= 1.0001e-5
    if (!ok && differ++ < 5) console.log(`${path}: ${x} and ${y}`)
    return
  }
  if (x === null || y === null || typeof x !== 'object' || typeof y !== 'object') {
    if (x !== y && differ++ < 5) console.log(`${path}: ${JSON.stringify(x)} and ${JSON.stringify(y)}`)
    return
  }
  for (const k of new Set([...Object.keys(x), ...Object.keys(y)])) walk(x[k], y[k], `${path}.${k}`)
}
walk(a, b, '')
console.log(differ === 0 ? 'the same run' : `${differ} values differ`)
process.exit(differ === 0 ? 0 : 1)
