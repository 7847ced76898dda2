// The replication's statistics over seeds: a seeded percentile bootstrap of a mean, and an
// exact two-sided sign test.

/** Mean of `v` and its percentile bootstrap 95% interval (resampling the values; seeded). */
export function boot(v, seed = 1) {
  const m = (a) => a.reduce((s, x) => s + x, 0) / a.length
  let s = seed >>> 0 || 1
  const next = () => ((s ^= s << 13), (s ^= s >>> 17), (s ^= s << 5), (s >>> 0) / 4294967296)
  const means = []
  for (let b = 0; b < 10000; b++) means.push(m(Array.from(v, () => v[Math.floor(next() * v.length)])))
  means.sort((a, b) => a - b)
  return { m: m(v), lo: means[249], hi: means[9749] }
}

/** Exact two-sided sign test: the chance, under no difference, of a split of `n` at least as uneven as `wins`. */
export function signTest(wins, n) {
  const choose = (a, b) => (b === 0 ? 1 : (choose(a, b - 1) * (a - b + 1)) / b)
  let tail = 0
  for (let i = 0; i <= Math.min(wins, n - wins); i++) tail += choose(n, i)
  return n === 0 ? 1 : Math.min(1, (2 * tail) / 2 ** n)
}
