import fc from 'fast-check'
import { beforeAll, describe, expect, test } from 'vitest'
import { type Measurement, instrument, naswot, oui, patternHistogram, regionCount } from '../../src/index.js'
import { logAbsDet } from '../../src/indicators/naswot.js'
import { batchOf } from '../helpers/batches.js'
import { tf, tfl, useCpu } from '../helpers/tf.js'

beforeAll(useCpu)

/** Exact determinant of an integer matrix (Bareiss, BigInt). */
function exactDet(m: number[][]): bigint {
  const n = m.length
  const a = m.map((r) => r.map(BigInt))
  let sign = 1n
  let prev = 1n
  for (let k = 0; k < n - 1; k++) {
    if (a[k]![k] === 0n) {
      const swap = a.findIndex((r, i) => i > k && r[k] !== 0n)
      if (swap < 0) return 0n
      ;[a[k], a[swap]] = [a[swap]!, a[k]!]
      sign = -sign
    }
    for (let i = k + 1; i < n; i++) for (let j = k + 1; j < n; j++) a[i]![j] = (a[i]![j]! * a[k]![k]! - a[i]![k]! * a[k]![j]!) / prev
    prev = a[k]![k]!
  }
  return sign * a[n - 1]![n - 1]!
}

const logOf = (d: bigint): number => {
  const abs = d < 0n ? -d : d
  if (abs === 0n) return Number.NEGATIVE_INFINITY
  const s = abs.toString()
  return Math.log(Number(`0.${s.slice(0, 17)}`)) + s.length * Math.LN10
}

/** A measurement of hand-made patterns: per site, examples of `positions` rows of bits. */
function measurementOf(sites: Record<string, { units: number; positions: number; examples: boolean[][][] }>): Measurement<unknown> {
  const patterns: Measurement<unknown>['patterns'] = {}
  let examples = 0
  for (const [id, s] of Object.entries(sites)) {
    const b = batchOf(s.examples.flat(), s.units)
    examples = s.examples.length
    patterns[id] = {
      units: s.units,
      wordsPerRow: b.wordsPerRow,
      rows: b.rows,
      positions: s.positions,
      words: b.words,
      histogram: patternHistogram().init(b),
    }
  }
  return { kind: 'measurement', examples, inputs: '', results: {}, patterns }
}

const sitesArb = fc
  .tuple(
    fc.integer({ min: 2, max: 9 }),
    fc.array(fc.record({ units: fc.integer({ min: 1, max: 40 }), positions: fc.integer({ min: 1, max: 3 }) }), {
      minLength: 1,
      maxLength: 3,
    }),
  )
  .chain(([n, shapes]) =>
    fc.tuple(
      ...shapes.map((sh) =>
        fc
          .array(
            fc.array(fc.array(fc.boolean(), { minLength: sh.units, maxLength: sh.units }), {
              minLength: sh.positions,
              maxLength: sh.positions,
            }),
            { minLength: n, maxLength: n },
          )
          .map((examples) => ({ ...sh, examples })),
      ),
    ),
  )

/** Each example's whole-network bits, site after site. */
const wholeBits = (sites: { examples: boolean[][][] }[]): boolean[][] =>
  sites[0]!.examples.map((_, e) => sites.flatMap((s) => s.examples[e]!.flat()))

const hammingOf = (a: boolean[], b: boolean[]): number => a.reduce((d, x, i) => d + (x !== b[i] ? 1 : 0), 0)

describe('naswot', () => {
  test('logAbsDet equals the log of the exact determinant', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 7 })
          .chain((n) =>
            fc.array(fc.array(fc.integer({ min: -20, max: 20 }), { minLength: n, maxLength: n }), { minLength: n, maxLength: n }),
          ),
        (m) => {
          const want = logOf(exactDet(m))
          const got = logAbsDet(Float64Array.from(m.flat()), m.length)
          if (want === Number.NEGATIVE_INFINITY) expect(got < -20 || got === want).toBe(true)
          else expect(got).toBeCloseTo(want, 8)
        },
      ),
    )
  })

  test('equals log |det(N_A - d_H)| computed exactly from the bits', () => {
    fc.assert(
      fc.property(sitesArb, (sites) => {
        const m = measurementOf(Object.fromEntries(sites.map((s, i) => [`s${i}`, s])))
        const bits = wholeBits(sites)
        const na = bits[0]!.length
        const k = bits.map((a) => bits.map((b) => na - hammingOf(a, b)))
        const want = logOf(exactDet(k))
        const got = naswot(m)
        expect(got.units).toBe(na)
        if (want === Number.NEGATIVE_INFINITY) expect(got).toMatchObject({ singular: true, score: Number.NEGATIVE_INFINITY })
        else expect(got).toMatchObject({ singular: false, score: expect.closeTo(want, 7) })
      }),
    )
  })

  test('two equal patterns, or more examples than N_A + 1, make K singular: -Infinity, said so', () => {
    const m = measurementOf({
      a: { units: 3, positions: 1, examples: [[[true, false, true]], [[true, false, true]], [[false, false, true]]] },
    })
    expect(naswot(m)).toEqual({ score: Number.NEGATIVE_INFINITY, singular: true, examples: 3, units: 3 })
    // five distinct 3-bit patterns: K (5 x 5) has rank at most 4
    const rows = [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
      [1, 1, 0],
      [0, 1, 1],
    ].map((r) => [r.map(Boolean)])
    const k = rows.map((a) => rows.map((b) => 3 - hammingOf(a[0]!, b[0]!)))
    expect(exactDet(k)).toBe(0n)
    expect(naswot(measurementOf({ a: { units: 3, positions: 1, examples: rows } }))).toMatchObject({
      singular: true,
      score: Number.NEGATIVE_INFINITY,
    })
  })
})

describe('oui', () => {
  test('equals the mean over sites of the mean clipped, normalised distance over all pairs', () => {
    fc.assert(
      fc.property(sitesArb, (sites) => {
        const m = measurementOf(Object.fromEntries(sites.map((s, i) => [`s${i}`, s])))
        const used = sites.map((s, i) => ({ ...s, id: `s${i}` })).filter((s) => s.units * s.positions >= 2)
        fc.pre(used.length > 0)
        const per = used.map((s) => {
          const rows = s.examples.map((e) => e.flat())
          const limit = Math.floor(rows[0]!.length / 2)
          let sum = 0
          let pairs = 0
          for (let i = 0; i < rows.length; i++)
            for (let j = i + 1; j < rows.length; j++) (sum += Math.min(hammingOf(rows[i]!, rows[j]!), limit) / limit), pairs++
          return sum / pairs
        })
        const got = oui(m)
        expect(got.value).toBeCloseTo(per.reduce((a, b) => a + b, 0) / per.length, 12)
        used.forEach((s, i) => expect(got.perSite[s.id]).toBeCloseTo(per[i]!, 12))
      }),
    )
  })
})

describe('regionCount', () => {
  test('equals the distinct whole-network patterns, and the network site of the same measurement', async () => {
    fc.assert(
      fc.property(sitesArb, (sites) => {
        const m = measurementOf(Object.fromEntries(sites.map((s, i) => [`s${i}`, s])))
        expect(regionCount(m).regions).toBe(new Set(wholeBits(sites).map((b) => b.map(Number).join(''))).size)
      }),
    )
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv2d({
          inputShape: [4, 4, 1],
          filters: 2,
          kernelSize: 3,
          activation: 'relu',
          kernelInitializer: tfl.initializers.glorotNormal({ seed: 3 }),
        }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 3, activation: 'relu', kernelInitializer: tfl.initializers.glorotNormal({ seed: 4 }) }),
      ],
    })
    const probe = instrument(model, { network: true, reducers: { h: patternHistogram() } })
    const x = tf.randomNormal([200, 4, 4, 1], 0, 1, 'float32', 1)
    const m = await probe.measurePatterns(x)
    probe.dispose()
    x.dispose()
    expect(regionCount(m).regions).toBe(m.results.network!.h.distinct)
    expect(regionCount(m).regions).toBeGreaterThan(10)
    expect(regionCount(m, { sites: ['network'] }).regions).toBe(m.results.network!.h.distinct)
    expect(naswot(m, { sites: ['network'] }).score).toBeCloseTo(naswot(m).score, 6)
  })

  test('bad input: not a measurement, an unknown site, too many examples, one example', () => {
    const m = measurementOf({ a: { units: 3, positions: 1, examples: [[[true, false, true]]] } })
    expect(() => naswot({} as never)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
    expect(() => regionCount(m, { sites: ['b'] })).toThrow(expect.objectContaining({ code: 'UNKNOWN_SITE' }))
    expect(() => oui(m)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
    expect(() => naswot(m, { maxExamples: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
    expect(() => naswot(m, { maxExamples: Number.NaN })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
    const two = measurementOf({ a: { units: 3, positions: 1, examples: [[[true, false, true]], [[false, false, true]]] } })
    expect(() => naswot(two, { maxExamples: 1 })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
    expect(() => naswot(two, { sites: ['a', 'a'] })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
    // a damaged measurement: words cut short
    const cut = { ...two, patterns: { a: { ...two.patterns.a!, words: two.patterns.a!.words.subarray(0, 1) } } }
    for (const f of [naswot, oui, regionCount]) expect(() => f(cut)).toThrow(expect.objectContaining({ code: 'CORRUPT_DATA' }))
    expect(() => naswot(m, { site: ['a'] } as never)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
  })
})

test('naswot: a kernel whose determinant is exactly 0 by a linear relation among patterns is singular', () => {
  // 60 random 200-bit patterns and four with c1 + c2 = c3 + c4 (c3 = c1 OR c2, c4 = c1 AND c2)
  let s = 7
  const bit = () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 16) % 2 === 1
  const rows: boolean[][] = Array.from({ length: 60 }, () => Array.from({ length: 200 }, bit))
  const c1 = Array.from({ length: 200 }, bit)
  const c2 = Array.from({ length: 200 }, bit)
  rows.push(
    c1,
    c2,
    c1.map((b, i) => b || c2[i]!),
    c1.map((b, i) => b && c2[i]!),
  )
  const k = rows.map((a) => rows.map((b) => 200 - hammingOf(a, b)))
  expect(exactDet(k)).toBe(0n)
  const got = naswot(measurementOf({ a: { units: 200, positions: 1, examples: rows.map((r) => [r]) } }))
  expect(got).toMatchObject({ singular: true, score: Number.NEGATIVE_INFINITY })
  // without the dependent pair the kernel is regular and the score finite
  const regular = naswot(measurementOf({ a: { units: 200, positions: 1, examples: rows.slice(0, 62).map((r) => [r]) } }))
  expect(regular.singular).toBe(false)
  expect(regular.score).toBeCloseTo(logOf(exactDet(rows.slice(0, 62).map((a) => rows.slice(0, 62).map((b) => 200 - hammingOf(a, b))))), 6)
})

test('indicators use a layer named network, and leave out the whole-network site by its mark', async () => {
  const input = tfl.input({ shape: [3] })
  const a = tfl.layers
    .dense({ units: 4, activation: 'relu', name: 'network', kernelInitializer: tfl.initializers.glorotNormal({ seed: 1 }) })
    .apply(input) as tfl.SymbolicTensor
  const b = tfl.layers
    .dense({ units: 2, activation: 'relu', name: 'd2', kernelInitializer: tfl.initializers.glorotNormal({ seed: 2 }) })
    .apply(a) as tfl.SymbolicTensor
  const probe = instrument(tfl.model({ inputs: input, outputs: b }))
  const x = tf.randomNormal([5, 3], 0, 1, 'float32', 1)
  const m = await probe.measurePatterns(x)
  probe.dispose()
  expect(regionCount(m).units).toBe(6)
  expect(naswot(m).units).toBe(6)
  const model = tfl.sequential({
    layers: [tfl.layers.dense({ units: 4, activation: 'relu', inputShape: [3] }), tfl.layers.dense({ units: 2, activation: 'relu' })],
  })
  const whole = instrument(model, { network: true })
  const w = await whole.measurePatterns(x)
  whole.dispose()
  expect(w.patterns.network!.network).toBe(true)
  expect(regionCount(w).units).toBe(6)
  x.dispose()
})
