import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { createTable, tableAdd } from '../../src/bits/pattern-table.js'
import { checkTable, isTableShaped } from '../../src/bits/table-check.js'
import { hashWords } from '../../src/bits/hash.js'

describe('checkTable', () => {
  test('every table built by tableAdd passes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 300 }), (wpr, values) => {
        const t = createTable(wpr, 0)
        for (const v of values) tableAdd(t, new Uint32Array(wpr).fill(v), 0, 1, Number.POSITIVE_INFINITY)
        expect(() => checkTable(t)).not.toThrow()
        expect(isTableShaped(t as never)).toBe(true)
      }),
    )
  })

  test('a duplicated pattern, a misplaced pattern, a wrong hash or a wrong size is CORRUPT_DATA', () => {
    const build = () => {
      const t = createTable(1)
      for (const v of [3, 5, 7]) tableAdd(t, new Uint32Array([v]), 0, 1, Number.POSITIVE_INFINITY)
      return t
    }
    const slots = (t: ReturnType<typeof build>) => [...t.counts.keys()].filter((s) => t.counts[s] !== 0)
    const corrupt = expect.objectContaining({ code: 'CORRUPT_DATA' })

    const nextEmpty = (t: ReturnType<typeof build>, from: number): number => {
      let s = (from + 1) & 15
      while (t.counts[s] !== 0) s = (s + 1) & 15
      return s
    }
    // the same pattern again, in the run right after it (reachable, so only the duplicate check can see it)
    const duplicated = build()
    const [first] = slots(duplicated)
    const copy = nextEmpty(duplicated, first!)
    duplicated.keys[copy] = duplicated.keys[first!]!
    duplicated.hashes[copy] = duplicated.hashes[first!]!
    duplicated.counts[copy] = 1
    duplicated.size++
    expect(() => checkTable(duplicated)).toThrow(corrupt)

    // a pattern moved past an empty slot, where probing from its home never finds it
    const misplaced = build()
    const [s0] = slots(misplaced)
    const gap = nextEmpty(misplaced, misplaced.hashes[s0!]! & 15)
    const away = nextEmpty(misplaced, gap)
    misplaced.keys[away] = misplaced.keys[s0!]!
    misplaced.hashes[away] = misplaced.hashes[s0!]!
    misplaced.counts[away] = misplaced.counts[s0!]!
    misplaced.counts[s0!] = 0
    expect(() => checkTable(misplaced)).toThrow(corrupt)

    const hashed = build()
    hashed.hashes[slots(hashed)[0]!]! ^= 1
    expect(() => checkTable(hashed)).toThrow(corrupt)

    const sized = build()
    sized.size = 2
    expect(() => checkTable(sized)).toThrow(corrupt)
  })

  test('a duplicate anywhere in a long run (sorted, not compared pairwise) is found; the distinct ones pass', () => {
    const cap = 64
    // 24 patterns with one home slot: one run of 24 from there
    const home = 5
    const values: number[] = []
    for (let v = 0; values.length < 25; v++) if ((hashWords(Uint32Array.of(v), 0, 1) & (cap - 1)) === home) values.push(v)
    const fill = (vs: number[]) => {
      const t = createTable(1, 0)
      t.capacity = cap
      t.keys = new Uint32Array(cap)
      t.hashes = new Uint32Array(cap)
      t.counts = new Float64Array(cap)
      vs.forEach((v, i) => {
        t.keys[home + i] = v
        t.hashes[home + i] = hashWords(Uint32Array.of(v), 0, 1)
        t.counts[home + i] = 1
      })
      t.size = vs.length
      return t
    }
    expect(() => checkTable(fill(values.slice(0, 24)))).not.toThrow()
    for (const [a, b] of [
      [0, 23],
      [11, 12],
      [23, 3],
    ]) {
      const vs = values.slice(0, 24)
      vs[b!] = vs[a!]!
      expect(() => checkTable(fill(vs))).toThrow(
        expect.objectContaining({
          code: 'CORRUPT_DATA',
          message: expect.stringContaining(`slots ${home + Math.min(a!, b!)} and ${home + Math.max(a!, b!)}`),
        }),
      )
    }
  })
})
