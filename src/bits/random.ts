/* A small seeded random generator (mulberry32) and normal draws from it. */
/**
 * A small seeded generator (mulberry32): uniform numbers in [0, 1), the same sequence for
 * the same seed on every platform.
 *
 * @example
 * ```ts
 * const next = uniform(42)
 * next() // 0.6011037519201636
 * ```
 */
export function uniform(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) | 0
    let t = Math.imul(s ^ (s >>> 15), 1 | s)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Standard normal numbers (Box-Muller) from a seeded {@link uniform} stream. */
export function normal(seed: number): () => number {
  const next = uniform(seed)
  let spare: number | null = null
  return () => {
    if (spare !== null) {
      const s = spare
      spare = null
      return s
    }
    const u = 1 - next()
    const v = next()
    const r = Math.sqrt(-2 * Math.log(u))
    spare = r * Math.sin(2 * Math.PI * v)
    return r * Math.cos(2 * Math.PI * v)
  }
}
