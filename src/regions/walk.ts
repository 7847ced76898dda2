/* Walking segments of input space: an even grid, then bisection between differing patterns. */
import type { PatternSampler } from './sampler.js'

/** A straight segment of input space: the points `from + t * (to - from)`, t in [0, 1]. */
export interface Segment {
  readonly from: Float32Array
  readonly to: Float32Array
}

/** What the walk found on one segment. */
export interface Walked {
  /** Positions in (0, 1) where the whole-network pattern changes, ascending. */
  readonly breakpoints: Float64Array
}

interface Interval {
  readonly segment: number
  readonly a: number
  readonly b: number
  /** Patterns at a and b: the rows of `words` arrays. */
  readonly pa: Uint32Array
  readonly pb: Uint32Array
}

const same = (p: Uint32Array, q: Uint32Array): boolean => {
  for (let i = 0; i < p.length; i++) if (p[i] !== q[i]) return false
  return true
}

/**
 * Finds where the whole-network pattern changes along each segment, by a coarse grid of
 * `grid + 1` points refined by bisection wherever two neighbouring points differ, until
 * each change is bracketed to `tolerance` (in t).
 *
 * Why it misses nothing wider than `tolerance`: the inputs sharing one whole-network
 * pattern form a convex set (with the pattern fixed, every pre-activation is affine in the
 * input, and the pattern fixes its sign), so where two points of a segment have the same
 * pattern, every point between them has it too. Only intervals whose ends differ can
 * hold a change; bisecting one halves it, and a region inside it wider than the final
 * bracket must contain one of the midpoints. Breakpoints are the centres of the final
 * brackets, so each lies within `tolerance / 2` of a true change.
 *
 * Cost: `grid + 1` points per segment, plus about `log2(1 / (grid * tolerance))` points
 * per breakpoint, all evaluated in batches.
 */
export async function walkSegments(
  sampler: PatternSampler,
  segments: readonly Segment[],
  grid: number,
  tolerance: number,
): Promise<{ walked: Walked[]; evaluations: number }> {
  const found: number[][] = segments.map(() => [])
  let evaluations = 0
  const dims = sampler.dims
  const w = sampler.wordsPerRow
  // input points are built a chunk at a time, so memory stays O(chunk * dims)
  const chunk = Math.max(1, Math.floor(2 ** 22 / dims))
  const evaluate = async (points: { segment: number; t: number }[]): Promise<Uint32Array[]> => {
    const out: Uint32Array[] = []
    for (let start = 0; start < points.length; start += chunk) {
      const part = points.slice(start, start + chunk)
      const values = new Float32Array(part.length * dims)
      part.forEach(({ segment, t }, i) => {
        const { from, to } = segments[segment]!
        for (let d = 0; d < dims; d++) values[i * dims + d] = from[d]! + t * (to[d]! - from[d]!)
      })
      const words = await sampler.sample(values, part.length)
      for (let i = 0; i < part.length; i++) out.push(words.subarray(i * w, (i + 1) * w))
    }
    evaluations += points.length
    return out
  }
  // without convexity, only a grid as fine as the tolerance sees every region wider than it
  if (sampler.nonConvex !== null) grid = Math.max(grid, Math.ceil(1 / tolerance))
  const start = segments.flatMap((_, segment) => Array.from({ length: grid + 1 }, (_, k) => ({ segment, t: k / grid })))
  const patterns = await evaluate(start)
  let open: Interval[] = []
  segments.forEach((_, s) => {
    for (let k = 0; k < grid; k++) {
      const pa = patterns[s * (grid + 1) + k]!
      const pb = patterns[s * (grid + 1) + k + 1]!
      if (!same(pa, pb)) open.push({ segment: s, a: k / grid, b: (k + 1) / grid, pa, pb })
    }
  })
  while (open.length > 0) {
    const narrow = open.filter((i) => i.b - i.a <= tolerance)
    for (const i of narrow) found[i.segment]!.push((i.a + i.b) / 2)
    const wide = open.filter((i) => i.b - i.a > tolerance)
    const mids = await evaluate(wide.map((i) => ({ segment: i.segment, t: (i.a + i.b) / 2 })))
    open = []
    wide.forEach((i, k) => {
      const m = (i.a + i.b) / 2
      const pm = mids[k]!
      if (!same(i.pa, pm)) open.push({ segment: i.segment, a: i.a, b: m, pa: i.pa, pb: pm })
      if (!same(pm, i.pb)) open.push({ segment: i.segment, a: m, b: i.b, pa: pm, pb: i.pb })
    })
  }
  return { walked: found.map((b) => ({ breakpoints: Float64Array.from(b.sort((x, y) => x - y)) })), evaluations }
}
