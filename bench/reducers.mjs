// Reducer throughput on plain packed data, against the naive way (string keys, per-bit loops).
import { hamming, layoutOf, patternHistogram, unitStats } from 'relu-patterns'
import { interleave, pairedRatio, pairedSpread, quantile } from './harness.mjs'

/** `rows` random patterns of `units` bits drawn from a pool of `distinct` patterns (seeded). */
export function patterns(rows, units, distinct, seed = 1) {
  const wpr = Math.ceil(units / 32)
  let s = seed >>> 0
  const rnd = () => {
    s ^= s << 13
    s ^= s >>> 17
    s ^= s << 5
    return s >>> 0
  }
  const pool = new Uint32Array(distinct * wpr)
  for (let i = 0; i < pool.length; i++) pool[i] = rnd()
  const tail = units & 31
  if (tail) for (let p = 0; p < distinct; p++) pool[p * wpr + wpr - 1] &= (1 << tail) - 1
  const words = new Uint32Array(rows * wpr)
  for (let r = 0; r < rows; r++) {
    const p = rnd() % distinct
    words.set(pool.subarray(p * wpr, (p + 1) * wpr), r * wpr)
  }
  return { words, rows, units, wordsPerRow: wpr, nonFinite: 0, positions: 1, labels: null }
}

/** The naive histogram: one string key per pattern built bit by bit, counted in a Map. */
function naiveHistogram(batch) {
  const m = new Map()
  for (let r = 0; r < batch.rows; r++) {
    let key = ''
    for (let u = 0; u < batch.units; u++) key += (batch.words[r * batch.wordsPerRow + (u >>> 5)] >>> (u & 31)) & 1 ? '1' : '0'
    m.set(key, (m.get(key) ?? 0) + 1)
  }
  return m.size
}

/** Naive per-unit counts: a per-bit loop. */
function naiveUnitCounts(batch) {
  const on = new Float64Array(batch.units)
  for (let r = 0; r < batch.rows; r++)
    for (let u = 0; u < batch.units; u++) on[u] += (batch.words[r * batch.wordsPerRow + (u >>> 5)] >>> (u & 31)) & 1
  return on
}

/** Naive Hamming distance: compare bit by bit. */
function naivePairs(batch) {
  let sum = 0
  for (let i = 1; i < batch.rows; i++)
    for (let j = 0; j < i; j++)
      for (let u = 0; u < batch.units; u++) {
        const w = u >>> 5
        const b = u & 31
        sum += ((batch.words[i * batch.wordsPerRow + w] >>> b) & 1) ^ ((batch.words[j * batch.wordsPerRow + w] >>> b) & 1)
      }
  return sum
}

/**
 * The histogram once its table leaves the caches: `distinct` different 64-bit patterns,
 * each seen twice (a second pass finds every one), under a cap that holds them all.
 * Patterns per second over both passes, and the state's bytes per distinct pattern.
 */
function largeHistogram(distinct) {
  const h = patternHistogram({ maxBytes: 2 ** 31 })
  const state = h.init(layoutOf(64))
  const chunk = 1 << 20
  const words = new Uint32Array(chunk * 2)
  const t0 = performance.now()
  for (let pass = 0; pass < 2; pass++) {
    for (let start = 0; start < distinct; start += chunk) {
      const rows = Math.min(chunk, distinct - start)
      for (let r = 0; r < rows; r++) {
        // a bijective scramble of the index: distinct patterns in no particular order
        const i = start + r
        words[2 * r] = Math.imul(i ^ 0x5bd1e995, 0x9e3779b1) >>> 0
        words[2 * r + 1] = i
      }
      h.update(state, { words, rows, units: 64, wordsPerRow: 2, nonFinite: 0, positions: 1, labels: null })
    }
  }
  const ms = performance.now() - t0
  const r = h.result(state)
  if (r.distinct !== distinct || !r.exact) throw new Error(`large histogram: ${r.distinct} distinct, exact ${r.exact}`)
  return { distinct, patternsPerSec: Math.round((2 * distinct) / (ms / 1000)), bytesPerPattern: r.bytes / distinct }
}

/**
 * Milliseconds per MiB to write one word in every 4 KiB page of freshly allocated typed
 * arrays (the operating system maps and zeroes each page on its first touch): median of 5.
 */
function firstTouch(mib) {
  const times = []
  for (let round = 0; round < 5; round++) {
    const t0 = performance.now()
    const a = new Uint32Array(mib * 262_144)
    for (let i = 0; i < a.length; i += 1024) a[i] = 1
    times.push((performance.now() - t0) / mib)
  }
  return quantile(times, 0.5)
}

/** Items per second at the interquartile times of the rounds: [slow, fast]. */
function rateSpread(times, items) {
  return [Math.round(items / (quantile(times, 0.75) / 1000)), Math.round(items / (quantile(times, 0.25) / 1000))]
}

export async function reducerBench({ smoke = false } = {}) {
  const rows = smoke ? 20_000 : 1_000_000
  const histogram = {}
  const histogramVsNaive = {}
  const histogramSpread = {}
  for (const units of [32, 64, 512, 4096]) {
    const n = units >= 512 ? rows / 8 : rows
    const batch = patterns(n, units, 20_000)
    const h = patternHistogram()
    const t = await interleave(
      {
        fast: () => h.result(h.update(h.init(layoutOf(units)), batch)),
        naive: units <= 512 ? () => naiveHistogram(units <= 512 ? batch : batch) : () => {},
      },
      { rounds: smoke ? 1 : 5, warmup: 1 },
    )
    histogram[units] = Math.round(n / (t.fast / 1000))
    histogramSpread[units] = rateSpread(t.rounds.fast, n)
    if (units <= 512) histogramVsNaive[units] = pairedRatio(t, 'naive', 'fast')
  }
  // the widest case again on a state that already holds its patterns: hashing, probing and
  // comparing alone, no new memory; the figure above includes growing the table into fresh
  // pages, whose first touch costs what the machine charges for it (firstTouchMsPerMiB)
  const wide = patterns(smoke ? 2_500 : rows / 8, 4096, 20_000)
  const hw = patternHistogram()
  const warm = hw.update(hw.init(layoutOf(4096)), wide)
  const tw = await interleave({ warm: () => hw.update(warm, wide) }, { rounds: smoke ? 1 : 5, warmup: 1 })
  const u = unitStats()
  const ub = patterns(smoke ? 5_000 : 200_000, 512, 50_000, 3)
  const tu = await interleave(
    { fast: () => u.update(u.init(layoutOf(512)), ub), naive: () => naiveUnitCounts(ub) },
    { rounds: smoke ? 1 : 5 },
  )
  const hb = patterns(smoke ? 200 : 1024, 512, 1_000_000, 5)
  const pairs = (hb.rows * (hb.rows - 1)) / 2
  const hr = hamming()
  const th = await interleave({ fast: () => hr.update(hr.init(layoutOf(512)), hb), naive: () => naivePairs(hb) }, { rounds: smoke ? 1 : 3 })
  const large = largeHistogram(smoke ? 100_000 : 10_000_000)
  return {
    histogramPatternsPerSec: histogram,
    histogramPatternsPerSecSpread: histogramSpread,
    histogramLarge: large,
    histogramWarm4096: Math.round(wide.rows / (tw.warm / 1000)),
    histogramWarm4096Spread: rateSpread(tw.rounds.warm, wide.rows),
    firstTouchMsPerMiB: firstTouch(smoke ? 4 : 64),
    histogramVsNaive,
    unitStatsRowsPerSec512: Math.round(ub.rows / (tu.fast / 1000)),
    unitStatsVsNaive: pairedRatio(tu, 'naive', 'fast'),
    unitStatsVsNaiveSpread: pairedSpread(tu, 'naive', 'fast'),
    hammingPairsPerSec512: Math.round(pairs / (th.fast / 1000)),
    hammingVsNaive: pairedRatio(th, 'naive', 'fast'),
    hammingVsNaiveSpread: pairedSpread(th, 'naive', 'fast'),
  }
}
