import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import {
  type AnyReducer,
  InstrumentError,
  derive,
  deserialize,
  hamming,
  layoutOf,
  patternHistogram,
  serialize,
  serializeBinary,
  splitBy,
  unitStats,
  windowed,
} from '../src/index.js'
import { batchOf } from './helpers/batches.js'

/*
 * Crafted states: valid states of every built-in reducer, with one value changed, written
 * by serialize() (so the checksum is valid). Each must either read back exactly, or be
 * refused with a coded error; whatever is read must then update, merge and give a result,
 * or fail with a coded error, all within a time bound. Nothing may hang or allocate
 * without bound.
 */

type Path = (string | number)[]

function leaves(value: unknown, path: Path = [], out: [Path, unknown][] = []): [Path, unknown][] {
  if (ArrayBuffer.isView(value) || typeof value !== 'object' || value === null) {
    out.push([path, value])
    return out
  }
  if (path.length > 0) out.push([path, value])
  for (const [k, v] of Object.entries(value)) leaves(v, [...path, Array.isArray(value) ? Number(k) : k], out)
  return out
}

const NUMBERS = [-1, 0, 0.5, 1, 3, 2 ** 31, 2 ** 40, 2 ** 53, 1e300, Number.NaN, Number.POSITIVE_INFINITY]

function mutate(value: unknown, kind: number, pick: number): unknown {
  if (typeof value === 'number') return kind % 3 === 0 ? value + (kind % 2 === 0 ? 1 : -1) : NUMBERS[pick % NUMBERS.length]
  if (value instanceof Float64Array || value instanceof Uint32Array) {
    const Ctor = value.constructor as Float64ArrayConstructor | Uint32ArrayConstructor
    switch (kind % 5) {
      case 0:
        return value.slice(0, Math.max(0, value.length - 1 - (pick % 4)))
      case 1: {
        const grown = new Ctor(value.length * 2 + 1)
        grown.set(value)
        grown.fill(pick % 7, value.length)
        return grown
      }
      case 2: {
        const copy = value.slice()
        if (copy.length > 0) copy[pick % copy.length] = pick % 5
        return copy
      }
      case 3:
        return value instanceof Float64Array ? Uint32Array.from(value, (v) => v >>> 0) : Float64Array.from(value)
      default: {
        const copy = value.slice()
        copy.fill(1)
        return copy
      }
    }
  }
  if (Array.isArray(value)) return kind % 2 === 0 ? [] : [...value, ...value]
  if (typeof value === 'object' && value !== null) return kind % 2 === 0 ? {} : 7
  return value
}

function setAt(root: unknown, path: Path, next: unknown, remove: boolean): unknown {
  if (path.length === 0) return next
  const copy = structuredClone(root) as Record<string | number, unknown>
  let parent = copy
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>
  const last = path[path.length - 1]!
  if (remove && !Array.isArray(parent)) delete parent[last]
  else parent[last] = next
  return copy
}

const coded = (e: unknown): void => {
  expect(e).toBeInstanceOf(InstrumentError)
  expect(['CORRUPT_DATA', 'LAYOUT_MISMATCH']).toContain((e as InstrumentError).code)
}

function attempt(fn: () => unknown): void {
  try {
    fn()
  } catch (e) {
    coded(e)
  }
}

describe.each([
  ['JSON text', serialize],
  ['binary', serializeBinary],
] as const)('crafted states, written as %s', (_, write: (value: unknown) => string | Uint8Array) => {
  const units = 5
  const rows = Array.from({ length: 40 }, (_, i) => Array.from({ length: units }, (_, u) => (i * 7 + u * 3) % 5 < 2 + (u % 2)))
  const labels = rows.map((_, i) => i % 3)
  const batch = batchOf(rows, units, 0, labels)
  const reducers: [string, AnyReducer][] = [
    ['unitStats', unitStats()],
    ['patternHistogram', patternHistogram()],
    ['patternHistogram (small cap)', patternHistogram({ maxBytes: 600 })],
    ['hamming', hamming()],
    ['splitBy', splitBy(patternHistogram(), 'label')],
    ['windowed', windowed(unitStats(), { batches: 2 })],
    ['derive', derive({ u: unitStats(), h: hamming() }, (r) => r.u.dead + r.h.meanDistance)],
  ]
  const valid = reducers.map(([name, r]) => [name, r, r.update(r.update(r.init(layoutOf(units)), batch), batch)] as const)

  test('every valid state reads back exactly', () => {
    for (const [, , state] of valid) expect(deserialize(write(state))).toEqual(state)
  })

  test('one value changed: read back exactly or refused with a code; using it is exact or refused; nothing hangs', () => {
    fc.assert(
      fc.property(fc.nat(valid.length - 1), fc.nat(), fc.nat(), fc.nat(), fc.boolean(), (which, where, kind, pick, remove) => {
        const [, r, state] = valid[which]!
        const all = leaves(state)
        const [path, value] = all[where % all.length]!
        const crafted = setAt(state, path, mutate(value, kind, pick), remove)
        const started = performance.now()
        let back: unknown
        try {
          back = deserialize(write(crafted))
        } catch (e) {
          coded(e)
          return
        }
        expect(back).toEqual(crafted)
        attempt(() => r.result(r.update(structuredClone(back), batch)))
        attempt(() => r.result(r.merge(back, r.init(layoutOf(units)))))
        attempt(() => r.result(r.merge(r.update(r.init(layoutOf(units)), batch), back)))
        attempt(() => r.result(back))
        expect(performance.now() - started).toBeLessThan(2000)
      }),
      { numRuns: 400 },
    )
  })

  test('a table whose size exceeds its capacity, or a huge declared capacity, is CORRUPT_DATA at once', () => {
    const [, , state] = valid[1]!
    const s = state as ReturnType<ReturnType<typeof patternHistogram>['init']>
    for (const change of [{ size: s.table.capacity + 5 }, { capacity: 2 ** 40 }, { capacity: 2 ** 30 }, { size: s.table.capacity }]) {
      const crafted = { ...s, table: { ...s.table, ...change } }
      const started = performance.now()
      expect(() => deserialize(write(crafted))).toThrow(expect.objectContaining({ code: 'CORRUPT_DATA' }))
      expect(() => patternHistogram().update(structuredClone(crafted), batch)).toThrow(expect.objectContaining({ code: 'CORRUPT_DATA' }))
      expect(performance.now() - started).toBeLessThan(500)
    }
  })

  test('a table with no empty slot behind an honest-looking size cannot hang update', () => {
    const h = patternHistogram()
    const s = h.update(h.init(layoutOf(units)), batch)
    const t = s.table
    t.counts.fill(1)
    const unseen = batchOf([Array.from({ length: units }, () => true)], units)
    expect(() => h.update(s, unseen)).toThrow(expect.objectContaining({ code: 'CORRUPT_DATA' }))
    expect(() => h.result(s)).toThrow(expect.objectContaining({ code: 'CORRUPT_DATA' }))
  })
})

describe('table-shaped data', () => {
  test('user data with the keys of a table but not its types reads back exactly', () => {
    const value = { wordsPerRow: 1, capacity: 2, size: 9, keys: [1, 2], hashes: 'x', counts: null }
    expect(deserialize(serialize(value))).toEqual(value)
  })

  test('a histogram state whose table has plain arrays or an extra key is CORRUPT_DATA when used', () => {
    const h = patternHistogram()
    const s = h.update(h.init(layoutOf(3)), batchOf([[true, false, true]], 3))
    const crafted = deserialize(serialize({ ...s, table: { ...s.table, keys: Array.from(s.table.keys), extra: 1 } })) as typeof s
    expect(() => h.update(crafted, batchOf([[false, false, true]], 3))).toThrow(expect.objectContaining({ code: 'CORRUPT_DATA' }))
    expect(() => h.result(crafted)).toThrow(expect.objectContaining({ code: 'CORRUPT_DATA' }))
  })
})

test('crafted states: every count bounded by the rows it came from, unknown fields refused', () => {
  const rows = Array.from({ length: 40 }, (_, i) => [i % 2 === 0, i % 3 === 0, i % 5 === 0, i % 7 === 0])
  const h = patternHistogram()
  const s = h.update(h.init(layoutOf(4)), batchOf(rows, 4))
  // a table with an extra field (typed arrays intact): it used to skip the checks and count a duplicate twice
  const extra = deserialize(serialize({ ...s, table: { ...s.table, note: 'x' } })) as typeof s
  expect(() => h.result(extra)).toThrow(
    expect.objectContaining({ code: 'CORRUPT_DATA', message: expect.stringContaining('unknown field "note"') }),
  )
  expect(() => h.result({ ...s, more: 1 } as never)).toThrow(expect.objectContaining({ code: 'CORRUPT_DATA' }))
  const hm = hamming()
  const hs = hm.update(hm.init(layoutOf(4)), batchOf(rows, 4))
  expect(() =>
    hm.result({
      ...hs,
      pairs: 1e9,
      histogram: Float64Array.from(hs.histogram, (c, d) => (d === 0 ? c + 1e9 - hs.pairs : c)),
      distanceSum: hs.distanceSum,
    } as never),
  ).toThrow(expect.objectContaining({ code: 'CORRUPT_DATA', message: expect.stringContaining('1000000000 pairs from 40 rows') }))
  expect(() => hm.result({ ...hs, extra: true } as never)).toThrow(expect.objectContaining({ code: 'CORRUPT_DATA' }))
  const u = unitStats()
  const us = u.update(u.init(layoutOf(4)), batchOf(rows.slice(0, 50), 4))
  expect(() => u.result({ ...us, nonFinite: 1e12 })).toThrow(
    expect.objectContaining({
      code: 'CORRUPT_DATA',
      message: expect.stringContaining('1000000000000 non-finite values in 40 rows of 4 units'),
    }),
  )
  expect(() => u.result({ ...us, other: 1 } as never)).toThrow(expect.objectContaining({ code: 'CORRUPT_DATA' }))
})

test("crafted histograms: bits past the units, pairs that the patterns do not hold, label counts that are not the pairs' sums", () => {
  const h = patternHistogram()
  const rows = Array.from({ length: 12 }, (_, i) => [i % 2 === 0, i % 3 === 0, i % 4 === 0])
  const labelled = h.update(
    h.init(layoutOf(3)),
    batchOf(
      rows,
      3,
      0,
      rows.map((_, i) => i % 2),
    ),
  )
  expect(h.result(labelled).distinct).toBeGreaterThan(1)
  const copy = () => deserialize(serialize(labelled)) as typeof labelled
  const high = copy()
  high.table.keys.forEach((_, i) => {
    if (high.table.counts[Math.floor(i / high.table.wordsPerRow)]! > 0) high.table.keys[i]! |= 1 << 7
  })
  expect(() => h.result(high)).toThrow(expect.objectContaining({ code: 'CORRUPT_DATA' }))
  const labels = copy()
  const slot = labels.labelCounts.counts.findIndex((c) => c > 0)
  labels.labelCounts.counts[slot] = labels.labelCounts.counts[slot]! + 1
  labels.labeled += 1
  labels.untrackedJoint += 1
  labels.untrackedJoint -= 1
  expect(() => h.result(labels)).toThrow(expect.objectContaining({ code: 'CORRUPT_DATA' }))
})
