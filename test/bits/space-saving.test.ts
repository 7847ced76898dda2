import fc from 'fast-check'
import { expect, test } from 'vitest'
import {
  type SpaceSaving,
  createSpaceSaving,
  spaceSavingAdd,
  spaceSavingFloor,
  spaceSavingMerge,
  spaceSavingDistinct,
  spaceSavingTop,
} from '../../src/bits/space-saving.js'

const WPR = 2
/** Pattern i as two words (the second makes keys wider than one word). */
const key = (i: number) => new Uint32Array([i, i ^ 0x5bd1e995])

function exact(stream: number[]): Map<number, number> {
  const m = new Map<number, number>()
  for (const x of stream) m.set(x, (m.get(x) ?? 0) + 1)
  return m
}

function summarise(stream: number[], k: number): SpaceSaving {
  const s = createSpaceSaving(k, WPR)
  for (const x of stream) spaceSavingAdd(s, key(x), 0, 1)
  return s
}

/** The guarantees, checked against exact counts of the stream. */
function holds(s: SpaceSaving, stream: number[], strong: boolean): void {
  const truth = exact(stream)
  const seen = new Set<number>()
  for (let e = 0; e < s.size; e++) {
    const x = s.keys[e * WPR]!
    expect(s.keys[e * WPR + 1]).toBe((x ^ 0x5bd1e995) >>> 0)
    expect(seen.has(x), 'a pattern monitored twice').toBe(false)
    seen.add(x)
    const t = truth.get(x) ?? 0
    expect(s.counts[e]!).toBeGreaterThanOrEqual(t)
    expect(s.counts[e]! - s.errors[e]!).toBeLessThanOrEqual(t)
    expect(s.errors[e]!).toBeGreaterThanOrEqual(0)
  }
  const floor = spaceSavingFloor(s)
  for (const [x, t] of truth) {
    if (!seen.has(x)) expect(t, `pattern ${x} unmonitored`).toBeLessThanOrEqual(floor)
    if (strong && t > stream.length / s.k) expect(seen.has(x), `heavy pattern ${x}`).toBe(true)
  }
}

/** Skewed streams: a few heavy patterns among many light ones. */
const streams = fc.array(
  fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 0, max: 5 }) }, { weight: 2, arbitrary: fc.integer({ min: 0, max: 400 }) }),
  { maxLength: 800 },
)

test('counts bound the true counts; unmonitored patterns are under the floor; heavy ones are monitored', () => {
  fc.assert(
    fc.property(streams, fc.integer({ min: 1, max: 40 }), (stream, k) => holds(summarise(stream, k), stream, true)),
    { numRuns: 200 },
  )
})

test('with room for every pattern, counts are exact', () => {
  const stream = [3, 1, 3, 3, 2, 1, 9]
  const s = summarise(stream, 10)
  expect(spaceSavingFloor(s)).toBe(0)
  const top = spaceSavingTop(s).map((e) => [s.keys[e * WPR], s.counts[e], s.errors[e]])
  expect(top).toEqual([
    [3, 3, 0],
    [1, 2, 0],
    [2, 1, 0],
    [9, 1, 0],
  ])
})

test('merged summaries keep the guarantees for the union of the streams', () => {
  fc.assert(
    fc.property(fc.array(streams, { minLength: 2, maxLength: 4 }), fc.integer({ min: 1, max: 30 }), (parts, k) => {
      const merged = parts.map((p) => summarise(p, k)).reduce((a, b) => spaceSavingMerge(a, b))
      holds(merged, parts.flat(), false)
      // and the merged summary keeps working as a summary
      const more = [1, 1, 2, 700, 700, 700]
      for (const x of more) spaceSavingAdd(merged, key(x), 0, 1)
      holds(merged, [...parts.flat(), ...more], false)
    }),
    { numRuns: 150 },
  )
})

test('a rebuilt copy (as after cloning or parsing) holds the same summary and keeps the guarantees', () => {
  fc.assert(
    fc.property(streams, streams, fc.integer({ min: 1, max: 20 }), (a, b, k) => {
      const s = summarise(a, k)
      const copy = structuredClone(s) // plain data: the index is rebuilt on first use
      expect(spaceSavingDistinct(copy)).toBe(true)
      const view = (t: SpaceSaving) =>
        spaceSavingTop(t)
          .map((e) => `${t.keys[e * WPR]}:${t.counts[e]}:${t.errors[e]}`)
          .sort()
      expect(view(copy)).toEqual(view(s))
      expect(spaceSavingFloor(copy)).toBe(spaceSavingFloor(s))
      // ties may be evicted in another order from here on; the guarantees hold either way
      for (const x of b) spaceSavingAdd(copy, key(x), 0, 1)
      holds(copy, [...a, ...b], true)
    }),
    { numRuns: 100 },
  )
})

test('a copy that monitors a pattern twice is refused, not used', () => {
  const s = summarise([1, 2, 3], 3)
  const copy = structuredClone(s)
  copy.keys.set(copy.keys.subarray(0, WPR), WPR) // entry 1 := entry 0
  expect(spaceSavingDistinct(copy)).toBe(false)
  expect(() => spaceSavingAdd(copy, key(5), 0, 1)).toThrow(/twice/)
})
