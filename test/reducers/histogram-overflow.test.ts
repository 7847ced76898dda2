// Past its memory cap a histogram estimates: distinct patterns (HyperLogLog), the heavy
// hitters (Space-Saving) and bounds on entropy and the top count. Checked against exact
// counts of the same streams, through merges and serialisation.
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import {
  type PackedBatch,
  type PatternHistogramState,
  deserialize,
  histogramEntropy,
  patternHistogram,
  serialize,
} from '../../src/index.js'

/** A batch of one-word patterns (units 32) or two-word patterns (units 40). */
function batch(values: number[], units = 32): PackedBatch {
  const wpr = Math.ceil(units / 32)
  const words = new Uint32Array(values.length * wpr)
  values.forEach((v, i) => {
    words[i * wpr] = v >>> 0
    if (wpr > 1) words[i * wpr + 1] = (v * 7) & 0xff
  })
  return { words, rows: values.length, units, wordsPerRow: wpr, nonFinite: 0, positions: 1, labels: null }
}

function truth(values: number[]) {
  const m = new Map<number, number>()
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1)
  const counts = [...m.values()]
  return { distinct: m.size, entropy: histogramEntropy(counts, values.length), top: Math.max(0, ...counts), m }
}

/** Zipf-like stream: value i with weight 1 / (i + 1), from a fixed seed. */
function zipf(n: number, range: number, seed: number): number[] {
  let s = seed
  const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32
  return Array.from({ length: n }, () => Math.floor(range ** rnd()) - 1 + 1000)
}

describe('past the cap', () => {
  const cap = 16 * 256 // 256 slots of one-word patterns: at most 224 tracked
  test('estimates bracket the exact values on a skewed stream of 200,000 rows', () => {
    const values = zipf(200_000, 60_000, 3)
    const h = patternHistogram({ maxBytes: cap, heavyHitters: 64 })
    const s = h.init({ units: 32, wordsPerRow: 1 })
    for (let i = 0; i < values.length; i += 5000) h.update(s, batch(values.slice(i, i + 5000)))
    const r = h.result(s)
    const t = truth(values)
    expect(r.exact).toBe(false)
    expect(r.distinct).toBeLessThan(t.distinct)
    const e = r.estimates!
    expect(Math.abs(e.distinct / t.distinct - 1)).toBeLessThan(4 * e.distinctError)
    expect(e.distinctError).toBeCloseTo(1.04 / 256, 6)
    expect(e.entropyBounds[0]).toBeLessThanOrEqual(t.entropy + 1e-9)
    expect(e.entropyBounds[1]).toBeGreaterThanOrEqual(t.entropy - 1e-9)
    expect(e.entropyBounds[1]).toBe(r.entropy)
    expect(e.topCountBounds[0]).toBeLessThanOrEqual(t.top)
    expect(e.topCountBounds[1]).toBeGreaterThanOrEqual(t.top)
    // heavy hitters bound the untracked counts of their patterns; unlisted ones are under the floor
    const tracked = new Map<number, number>()
    for (let slot = 0; slot < s.table.capacity; slot++)
      if (s.table.counts[slot]! > 0) tracked.set(s.table.keys[slot]!, s.table.counts[slot]!)
    const listed = new Set<number>()
    for (const hh of e.heavyHitters) {
      const v = hh.words[0]!
      listed.add(v)
      const untrackedCount = (t.m.get(v) ?? 0) - (tracked.get(v) ?? 0)
      expect(hh.count).toBeGreaterThanOrEqual(untrackedCount)
      expect(hh.count - hh.error).toBeLessThanOrEqual(untrackedCount)
    }
    for (const [v, c] of t.m) if (!tracked.has(v) && !listed.has(v)) expect(c).toBeLessThanOrEqual(e.floor)
    expect(e.heavyHitters.length).toBe(64)
  })

  test('bounds hold on any stream, split and merged in any grouping (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 3000 })), { minLength: 1, maxLength: 1500 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 20 }),
        (values, parts, k) => {
          const h = patternHistogram({ maxBytes: 16 * 32, heavyHitters: k })
          const size = Math.ceil(values.length / parts)
          const states = Array.from({ length: parts }, (_, p) => {
            const s = h.init({ units: 40, wordsPerRow: 2 })
            const chunk = values.slice(p * size, (p + 1) * size)
            if (chunk.length > 0) h.update(s, batch(chunk, 40))
            return s
          })
          const merged = states.reduce((a, b) => h.merge(a, b))
          const r = h.result(merged)
          const t = truth(values)
          expect(r.rows).toBe(values.length)
          if (r.exact) {
            expect(r.estimates).toBe(null)
            expect(r.distinct).toBe(t.distinct)
            return
          }
          const e = r.estimates!
          expect(e.distinct).toBeGreaterThanOrEqual(r.distinct)
          expect(e.distinct).toBeLessThanOrEqual(r.distinct + r.untracked)
          expect(e.entropyBounds[0]).toBeLessThanOrEqual(t.entropy + 1e-9)
          expect(e.entropyBounds[1]).toBeGreaterThanOrEqual(t.entropy - 1e-9)
          expect(e.topCountBounds[0]).toBeLessThanOrEqual(t.top)
          expect(e.topCountBounds[1]).toBeGreaterThanOrEqual(t.top)
        },
      ),
      { numRuns: 150 },
    )
  })

  test('the distinct sketch of merged states equals that of one stream', () => {
    const values = zipf(30_000, 20_000, 9)
    const h = patternHistogram({ maxBytes: cap })
    const whole = h.init({ units: 32, wordsPerRow: 1 })
    h.update(whole, batch(values))
    const a = h.init({ units: 32, wordsPerRow: 1 })
    const b = h.init({ units: 32, wordsPerRow: 1 })
    h.update(a, batch(values.slice(0, 100))) // not over the cap on its own
    h.update(b, batch(values.slice(100)))
    expect(a.overflow ?? null).toBe(null)
    const m = h.merge(a, b)
    expect(m.overflow!.distinct.registers).toEqual(whole.overflow!.distinct.registers)
    expect(h.merge(b, a).overflow!.distinct.registers).toEqual(whole.overflow!.distinct.registers)
  })

  test('a state serialised past the cap reads back and goes on counting the same', () => {
    const values = zipf(20_000, 10_000, 5)
    const h = patternHistogram({ maxBytes: cap, heavyHitters: 16 })
    const s = h.init({ units: 32, wordsPerRow: 1 })
    h.update(s, batch(values.slice(0, 10_000)))
    const copy = deserialize(serialize(s)) as PatternHistogramState
    h.update(s, batch(values.slice(10_000)))
    h.update(copy, batch(values.slice(10_000)))
    const [r, c] = [h.result(s), h.result(copy)]
    expect(c.estimates!.distinct).toBe(r.estimates!.distinct)
    expect(c.estimates!.entropyBounds).toEqual(r.estimates!.entropyBounds)
    const t = truth(values)
    expect(c.estimates!.entropyBounds[0]).toBeLessThanOrEqual(t.entropy)
  })

  test('the bounds are tight where the untracked rows are one pattern', () => {
    // 224 tracked singletons fill the table, then one new pattern 10,000 times
    const values = [...Array.from({ length: 224 }, (_, i) => i), ...Array.from({ length: 10_000 }, () => 99_999)]
    const h = patternHistogram({ maxBytes: cap })
    const s = h.init({ units: 32, wordsPerRow: 1 })
    h.update(s, batch(values))
    const r = h.result(s)
    const t = truth(values)
    expect(r.untracked).toBe(10_000)
    const [lo, hi] = r.estimates!.entropyBounds
    expect(lo).toBeLessThanOrEqual(t.entropy)
    expect(t.entropy - lo).toBeLessThan(0.01)
    expect(hi).toBeGreaterThan(t.entropy + 1) // untracked rows as singletons
    expect(r.estimates!.topCountBounds).toEqual([10_000, 10_001])
    expect(r.estimates!.heavyHitters[0]).toMatchObject({ count: 10_000, error: 0 })
    expect(r.estimates!.distinct).toBeCloseTo(225, 0)
  })

  test('a pattern tracked on one side and refused on the other is bounded by the sum', () => {
    const h = patternHistogram({ maxBytes: cap, heavyHitters: 8 })
    const a = h.init({ units: 32, wordsPerRow: 1 })
    const b = h.init({ units: 32, wordsPerRow: 1 })
    // a's full table keeps 7 (500 times); b refused 7 300 times; the merge keeps a's table
    const av = [...Array.from({ length: 500 }, () => 7), ...Array.from({ length: 223 }, (_, i) => 2000 + i)]
    const bv = [...Array.from({ length: 224 }, (_, i) => 1000 + i), ...Array.from({ length: 300 }, () => 7)]
    h.update(a, batch(av))
    h.update(b, batch(bv))
    const r = h.result(h.merge(a, b))
    const t = truth([...av, ...bv])
    expect(t.top).toBe(800)
    const [lo, hi] = r.estimates!.topCountBounds
    expect(lo).toBe(500)
    expect(hi).toBeGreaterThanOrEqual(800)
    expect(r.estimates!.entropyBounds[0]).toBeLessThanOrEqual(t.entropy)
  })

  test('a state that refused rows before sketches existed never gets estimates it could not back', () => {
    const h = patternHistogram({ maxBytes: cap })
    const s = h.init({ units: 32, wordsPerRow: 1 })
    h.update(s, batch([...Array.from({ length: 300 }, (_, i) => i), ...Array.from({ length: 1000 }, () => 5)]))
    const old = deserialize(serialize(s)) as PatternHistogramState
    delete old.overflow // as saved by an earlier version
    h.update(old, batch(Array.from({ length: 50 }, (_, i) => 7000 + i)))
    expect(h.result(old).exact).toBe(false)
    expect(h.result(old).estimates).toBe(null)
    expect(h.result(h.merge(old, s)).estimates).toBe(null)
    expect(h.result(h.merge(s, old)).estimates).toBe(null)
  })

  test('summaries of different sizes merge to the smaller, whose floor still bounds the unlisted', () => {
    const small = patternHistogram({ maxBytes: cap, heavyHitters: 2 })
    const big = patternHistogram({ maxBytes: cap, heavyHitters: 8 })
    const filler = Array.from({ length: 224 }, (_, i) => i)
    const av = [...filler, ...Array.from({ length: 60 }, () => 100), ...Array.from({ length: 39 }, (_, i) => 200 + i)]
    const bv = [...filler, ...Array.from({ length: 30 }, () => 300)]
    const a = small.init({ units: 32, wordsPerRow: 1 })
    const b = big.init({ units: 32, wordsPerRow: 1 })
    small.update(a, batch(av))
    big.update(b, batch(bv))
    const r = big.result(big.merge(a, b))
    const e = r.estimates!
    expect(e.heavyHitters.length).toBe(2)
    const listed = new Set(e.heavyHitters.map((x) => x.words[0]))
    for (let v = 200; v < 239; v++) if (!listed.has(v)) expect(e.floor).toBeGreaterThanOrEqual(1)
    const t = truth([...av, ...bv])
    expect(e.entropyBounds[0]).toBeLessThanOrEqual(t.entropy)
    expect(e.entropyBounds[1]).toBeGreaterThanOrEqual(t.entropy)
  })

  test('after a merge with labels the table may take new patterns, and the distinct sketch sees them', () => {
    const h = patternHistogram({ maxBytes: 1 << 20 })
    const labelled = (values: number[]) => ({ ...batch(values), labels: Int32Array.from(values, (v) => v % 10) })
    const feed = (s: PatternHistogramState, values: number[], labels: boolean) => {
      for (let i = 0; i < values.length; i += 1000)
        h.update(s, labels ? labelled(values.slice(i, i + 1000)) : batch(values.slice(i, i + 1000)))
    }
    const first = Array.from({ length: 40_000 }, (_, i) => i * 7 + 1)
    const extra = Array.from({ length: 100 }, (_, i) => 5_000_000 + i)
    const second = Array.from({ length: 100_000 }, (_, i) => 10_000_000 + i * 13)
    const whole = h.init({ units: 32, wordsPerRow: 1 })
    feed(whole, first, true)
    feed(whole, extra, false)
    feed(whole, second, false)
    const a = h.init({ units: 32, wordsPerRow: 1 })
    const b = h.init({ units: 32, wordsPerRow: 1 })
    feed(a, first, true)
    feed(b, extra, false)
    const m = h.merge(a, b)
    feed(m, second, false)
    expect(m.overflow!.distinct.registers).toEqual(whole.overflow!.distinct.registers)
    expect(Math.abs(h.result(m).estimates!.distinct / 140_100 - 1)).toBeLessThan(0.02)
  })

  test('crafted sketches are CORRUPT_DATA', () => {
    const h = patternHistogram({ maxBytes: cap, heavyHitters: 4 })
    const make = () => {
      const s = h.init({ units: 32, wordsPerRow: 1 })
      h.update(s, batch(zipf(5000, 4000, 1)))
      return s
    }
    const bad: ((s: PatternHistogramState) => void)[] = [
      (s) => void (s.overflow!.distinct.registers[5] = 60),
      (s) => void (s.overflow!.distinct = { p: 16, registers: new Uint8Array(10) }),
      (s) => void (s.overflow!.refused.errors[0] = s.overflow!.refused.counts[0]!),
      (s) => void (s.overflow!.refused.keys[1] = s.overflow!.refused.keys[0]!),
      (s) => void (s.overflow!.refused.size = 9),
      (s) => void ((s.overflow as unknown as { refused: unknown }).refused = null),
    ]
    const more = batch(zipf(300, 5000, 2))
    for (const damage of [
      ...bad,
      (s: PatternHistogramState) => void ((s.overflow!.refused as { k: number }).k = 0),
      (s: PatternHistogramState) => void (s.overflow!.refused.counts[0] = 1e9),
    ]) {
      const s = deserialize(serialize(make())) as PatternHistogramState
      damage(s)
      expect(() => h.result(s)).toThrow(expect.objectContaining({ code: 'CORRUPT_DATA' }))
      expect(() => h.merge(s, make())).toThrow(expect.objectContaining({ code: 'CORRUPT_DATA' }))
      expect(() => h.update(s, more)).toThrow(expect.objectContaining({ code: 'CORRUPT_DATA' }))
    }
  })

  test('heavyHitters must be an integer from 1 to 2^20', () => {
    for (const heavyHitters of [0, -1, 1.5, Number.NaN, '8' as never, 2 ** 21]) {
      expect(() => patternHistogram({ heavyHitters })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
    }
  })
})
