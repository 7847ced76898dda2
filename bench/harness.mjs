// A small benchmark harness: warm-up, interleaved rounds, medians and ratios from one run.

export const now = () => performance.now()

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

/**
 * Runs every task `rounds` times, interleaved (a, b, c, a, b, c, ...) so that machine
 * drift hits all of them alike, after `warmup` untimed rounds. Tasks may be async.
 * Returns the median milliseconds per task.
 */
export async function interleave(tasks, { rounds = 7, warmup = 1 } = {}) {
  const names = Object.keys(tasks)
  const times = Object.fromEntries(names.map((n) => [n, []]))
  for (let r = 0; r < warmup + rounds; r++) {
    for (const n of names) {
      const t0 = now()
      await tasks[n]()
      const dt = now() - t0
      if (r >= warmup) times[n].push(dt)
    }
  }
  const medians = Object.fromEntries(names.map((n) => [n, median(times[n])]))
  Object.defineProperty(medians, 'rounds', { value: times })
  return medians
}

/** Median over rounds of a / b, each round's pair run back to back (drift cancels within a pair). */
export function pairedRatio(result, a, b) {
  const ta = result.rounds[a]
  const tb = result.rounds[b]
  return median(ta.map((x, i) => x / tb[i]))
}

/** The interquartile range [q1, q3] of the per-round ratios a / b: the spread to print next to {@link pairedRatio}. */
export function pairedSpread(result, a, b) {
  const r = result.rounds[a].map((x, i) => x / result.rounds[b][i]).sort((x, y) => x - y)
  const at = (q) => r[Math.min(r.length - 1, Math.max(0, Math.round(q * (r.length - 1))))]
  return [at(0.25), at(0.75)]
}

export function fmt(n, digits = 3) {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`
  return n.toFixed(digits)
}
