// Nearest-Hamming search for the monitor: multi-index hashing against the plain popcount
// scan, on the same sets and queries, in checks per second.
import { hammingIndex, nearestPattern } from 'relu-patterns'
import { now } from './harness.mjs'

const CENTRES = 1024

/** `rows` patterns of `units` bits near 1024 random centres (`flips` random bits flipped), as monitored layers give. */
function clustered(rows, units, flips, seed) {
  const wpr = Math.ceil(units / 32)
  let s = seed >>> 0 || 1
  const rnd = () => ((s ^= s << 13), (s ^= s >>> 17), (s ^= s << 5), s >>> 0)
  const centres = new Uint32Array(CENTRES * wpr).map(rnd)
  const tail = units & 31
  const words = new Uint32Array(rows * wpr)
  for (let r = 0; r < rows; r++) {
    const c = rnd() % CENTRES
    words.set(centres.subarray(c * wpr, c * wpr + wpr), r * wpr)
    for (let f = 0; f < flips; f++) {
      const u = rnd() % units
      words[r * wpr + (u >>> 5)] ^= 1 << (u & 31)
    }
    if (tail) words[r * wpr + wpr - 1] &= (1 << tail) - 1
  }
  return words
}

function rate(index, queries, count, wpr, budgetMs) {
  const t0 = now()
  let done = 0
  let checksum = 0
  while (done < count && now() - t0 < budgetMs) {
    checksum += nearestPattern(index, queries, (done % (queries.length / wpr)) * wpr).distance
    done++
  }
  return { perSec: done / ((now() - t0) / 1000), checksum }
}

export async function monitorBench({ smoke }) {
  const units = 64
  const wpr = units / 32
  const sizes = smoke ? [1e4] : [1e4, 1e5, 1e6]
  const out = {}
  for (const rows of sizes) {
    // the set and the near queries share their centres; random queries are uniform bits
    const all = clustered(rows + 500, units, 6, 7)
    const words = all.subarray(0, rows * wpr)
    const queries = { near: all.slice(rows * wpr), random: clustered(500, units, 1000, 9) }
    const t0 = now()
    const indexed = hammingIndex(words, rows, units)
    const buildMs = now() - t0
    const plain = hammingIndex(words, rows, units, { blocks: false })
    for (const [kind, q] of Object.entries(queries)) {
      // interleaved: index, scan, index, scan ...; the same queries, equal answers checked
      const runs = { index: [], scan: [] }
      for (let round = 0; round < (smoke ? 1 : 3); round++) {
        const a = rate(indexed, q, 500, wpr, smoke ? 100 : 1000)
        const b = rate(plain, q, 500, wpr, smoke ? 100 : 1000)
        runs.index.push(a.perSec)
        runs.scan.push(b.perSec)
      }
      const med = (xs) => [...xs].sort((x, y) => x - y)[xs.length >> 1]
      for (let i = 0; i < 50; i++) {
        if (nearestPattern(indexed, q, i * wpr).distance !== nearestPattern(plain, q, i * wpr).distance)
          throw new Error('index and scan disagree')
      }
      out[`${rows}-${kind}`] = {
        rows,
        queries: kind,
        indexChecksPerSec: med(runs.index),
        scanChecksPerSec: med(runs.scan),
        speedup: med(runs.index) / med(runs.scan),
        buildMs,
      }
    }
  }
  return out
}
