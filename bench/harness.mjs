// A small benchmark harness: warm-up, interleaved rounds, medians and ratios from one run.

export const now = () => performance.now()

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

/**
 * Runs every task `rounds` times, interleaved (a, b, c, a, b, c, ...) so that machine
 * drift hits all of them alike, after `warmup` untimed rounds; with `alternate`, every
 * other round in reverse order. Tasks may be async.
 * Returns the median milliseconds per task.
 */
export async function interleave(tasks, { rounds = 7, warmup = 1, alternate = false } = {}) {
  const names = Object.keys(tasks)
  const times = Object.fromEntries(names.map((n) => [n, []]))
  const cpu = Object.fromEntries(names.map((n) => [n, []]))
  for (let r = 0; r < warmup + rounds; r++) {
    // alternate: every other round runs the tasks in reverse order (a, b, b, a, ...), so
    // that whatever favours the first or the second of a pair cancels over the rounds
    for (const n of alternate && r % 2 === 1 ? [...names].reverse() : names) {
      const c0 = cpuMs()
      const t0 = now()
      await tasks[n]()
      const dt = now() - t0
      const dc = cpuMs() - c0
      if (r >= warmup) {
        times[n].push(dt)
        cpu[n].push(dc)
      }
    }
  }
  const medians = Object.fromEntries(names.map((n) => [n, median(times[n])]))
  Object.defineProperty(medians, 'rounds', { value: times })
  // the process's CPU time per round (all its threads): what the machine's other tenants
  // do not stretch, unlike wall time; null where there is no process.cpuUsage
  Object.defineProperty(medians, 'cpuRounds', { value: typeof process === 'object' && process.cpuUsage ? cpu : null })
  return medians
}

/** Milliseconds of CPU time this process has used (user and system, all threads), or 0 where unknown. */
function cpuMs() {
  if (typeof process !== 'object' || !process.cpuUsage) return 0
  const { user, system } = process.cpuUsage()
  return (user + system) / 1000
}

/** {@link pairedRatio} and {@link pairedSpread} of the rounds' CPU times. */
export function pairedCpu(result, a, b) {
  if (result.cpuRounds === null) return null
  const r = { rounds: result.cpuRounds }
  return { ratio: pairedRatio(r, a, b), spread: pairedSpread(r, a, b) }
}

/** Median over rounds of a / b, each round's pair run back to back (drift cancels within a pair). */
export function pairedRatio(result, a, b) {
  const ta = result.rounds[a]
  const tb = result.rounds[b]
  return median(ta.map((x, i) => x / tb[i]))
}

/** The per-round ratios a / b, in round order (kept in the JSON, so that spreads can be recomputed). */
export function pairedRatios(result, a, b) {
  return result.rounds[a].map((x, i) => x / result.rounds[b][i])
}

/** Quantile `q` of `xs`, interpolated linearly between neighbouring order statistics. */
export function quantile(xs, q) {
  const s = [...xs].sort((x, y) => x - y)
  const at = q * (s.length - 1)
  const lo = Math.floor(at)
  return lo + 1 < s.length ? s[lo] + (at - lo) * (s[lo + 1] - s[lo]) : s[lo]
}

/**
 * The interquartile range [q1, q3] of the per-round ratios a / b: the spread to print next
 * to {@link pairedRatio}. With fewer than 4 rounds there is no such range: [min, max].
 */
export function pairedSpread(result, a, b) {
  const r = pairedRatios(result, a, b)
  return r.length < 4 ? [Math.min(...r), Math.max(...r)] : [quantile(r, 0.25), quantile(r, 0.75)]
}

export function fmt(n, digits = 3) {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`
  return n.toFixed(digits)
}
