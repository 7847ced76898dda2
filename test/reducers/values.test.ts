import fc from 'fast-check'
import { beforeAll, describe, expect, test } from 'vitest'
import { type PackedBatch, type Reducer, coverage, dormant, instrument, layoutOf, totalCoverage } from '../../src/index.js'
import { tf, tfl, useCpu } from '../helpers/tf.js'

beforeAll(useCpu)

/** A batch of `examples` examples of `positions` rows of `units` values each (bits from the sign). */
function valueBatch(values: number[], units: number, positions = 1): PackedBatch {
  const rows = values.length / units
  const wordsPerRow = Math.ceil(units / 32)
  const words = new Uint32Array(rows * wordsPerRow)
  values.forEach((v, i) => {
    const r = Math.floor(i / units)
    const u = i % units
    if (v > 0) words[r * wordsPerRow + (u >>> 5)]! |= 1 << (u & 31)
  })
  return { words, rows, units, wordsPerRow, nonFinite: 0, positions, labels: null, values: Float32Array.from(values) }
}

/** Brute force ReDo: s_i = mean|h_i| / mean over units of mean|h_k|. */
function redo(rows: number[][], tau: number): { scores: number[]; dormant: number } {
  const units = rows[0]!.length
  const mean = Array.from({ length: units }, (_, u) => rows.reduce((s, r) => s + Math.abs(r[u]!), 0) / rows.length)
  const layer = mean.reduce((a, b) => a + b, 0) / units
  const scores = mean.map((m) => (layer === 0 ? 0 : m / layer))
  return { scores, dormant: scores.filter((s) => s <= tau).length }
}

/** Brute force DeepXplore / DeepGauge over examples of [positions][units] values. */
function bruteCoverage(examples: number[][][], threshold: number, k: number): { covered: boolean[]; top: boolean[] } {
  const units = examples[0]![0]!.length
  const covered = Array<boolean>(units).fill(false)
  const top = Array<boolean>(units).fill(false)
  for (const ex of examples) {
    const flat = ex.flat()
    const min = Math.min(...flat)
    const max = Math.max(...flat)
    const scaled = ex.map((row) => row.map((v) => (v - min) / (max - min)))
    const means = Array.from({ length: units }, (_, u) => ex.reduce((s, row) => s + row[u]!, 0) / ex.length)
    for (let u = 0; u < units; u++) {
      const m = scaled.reduce((s, row) => s + row[u]!, 0) / ex.length
      if (max > min && m > threshold) covered[u] = true
    }
    const order = means.map((m, u) => [m, u] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1])
    for (const [, u] of order.slice(0, k)) top[u] = true
  }
  return { covered, top }
}

const value = fc.integer({ min: 0, max: 40 }).map((k) => (k % 3 === 0 ? 0 : k / 8))

describe('dormant', () => {
  test('equals ReDo computed by brute force', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 9 })
          .chain((u) =>
            fc.tuple(fc.constant(u), fc.array(fc.array(value, { minLength: u, maxLength: u }), { minLength: 1, maxLength: 30 })),
          ),
        fc.double({ min: 0, max: 1.5, noNaN: true }),
        ([units, rows], tau) => {
          const r = dormant({ tau })
          const s = r.update(r.init(layoutOf(units)), valueBatch(rows.flat(), units))
          const got = r.result(s)
          const want = redo(rows, tau)
          got.scores.forEach((x, u) => expect(x).toBeCloseTo(want.scores[u]!, 10))
          expect(got.dormant).toBe(want.dormant)
          expect(got.dead).toBe(Array.from({ length: units }, (_, u) => rows.every((row) => row[u] === 0)).filter(Boolean).length)
        },
      ),
    )
  })

  test('a layer with no activation at all: every unit dormant, none NaN; a batch without values is refused', () => {
    const r = dormant()
    const got = r.result(r.update(r.init(layoutOf(3)), valueBatch([0, 0, 0, 0, 0, 0], 3)))
    expect(got).toMatchObject({ dormant: 3, dead: 3, dormantShare: 1 })
    expect(Array.from(got.scores)).toEqual([0, 0, 0])
    const { values: _, ...bare } = valueBatch([1, 0, 1], 3)
    expect(() => r.update(r.init(layoutOf(3)), bare)).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringContaining('needs') }),
    )
    expect(() => dormant({ tau: -1 })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
    expect(() => dormant({ tua: 1 } as never)).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION', message: expect.stringContaining('tau') }),
    )
  })
})

describe('coverage', () => {
  test('equals DeepXplore and DeepGauge computed by brute force, on examples of several positions', () => {
    const arb = fc
      .record({ units: fc.integer({ min: 1, max: 7 }), positions: fc.integer({ min: 1, max: 4 }) })
      .chain(({ units, positions }) =>
        fc.tuple(
          fc.constant(units),
          fc.constant(positions),
          fc.array(fc.array(fc.array(value, { minLength: units, maxLength: units }), { minLength: positions, maxLength: positions }), {
            minLength: 1,
            maxLength: 12,
          }),
        ),
      )
    fc.assert(
      fc.property(
        arb,
        fc.double({ min: 0, max: 0.95, noNaN: true }),
        fc.integer({ min: 1, max: 4 }),
        ([units, positions, examples], threshold, k) => {
          const r = coverage({ threshold, topK: k })
          const got = r.result(r.update(r.init(layoutOf(units)), valueBatch(examples.flat(2), units, positions)))
          const want = bruteCoverage(examples, threshold, k)
          expect(Array.from(got.coveredUnits, Boolean)).toEqual(want.covered)
          expect(Array.from(got.topKUnits, Boolean)).toEqual(want.top)
          expect(got.coverage).toBe(want.covered.filter(Boolean).length / units)
          expect(got.examples).toBe(examples.length)
        },
      ),
    )
  })
})

describe('values through a probe', () => {
  /** conv -> dense; brute force from the layers' outputs. */
  function model(): tfl.LayersModel {
    const input = tfl.input({ shape: [4, 4, 2] })
    const c = tfl.layers
      .conv2d({ filters: 3, kernelSize: 2, activation: 'relu', name: 'c', kernelInitializer: tfl.initializers.glorotNormal({ seed: 1 }) })
      .apply(input) as tfl.SymbolicTensor
    const d = tfl.layers
      .dense({
        units: 6,
        activation: 'relu',
        name: 'd',
        kernelInitializer: tfl.initializers.glorotNormal({ seed: 2 }),
        biasInitializer: tfl.initializers.constant({ value: -0.1 }),
      })
      .apply(tfl.layers.flatten().apply(c)) as tfl.SymbolicTensor
    return tfl.model({ inputs: input, outputs: d })
  }

  test.each(['sync', 'async'] as const)(
    'read %s: dormant and coverage equal brute force at conv, dense and network sites; no tensor leaks',
    async (read) => {
      const m = model()
      const x = tf.randomNormal([13, 4, 4, 2], 0, 1, 'float32', 3)
      const outs = (
        tfl
          .model({ inputs: m.inputs, outputs: [m.getLayer('c').output, m.getLayer('d').output] as tfl.SymbolicTensor[] })
          .predict(x) as tf.Tensor[]
      ).map((t) => t.arraySync() as number[][] | number[][][][])
      const convRows = (outs[0] as number[][][][]).map((ex) => ex.flat())
      const denseRows = outs[1] as number[][]
      const before = tf.memory().numTensors
      const probe = instrument(m, {
        read,
        network: true,
        reducers: { d: dormant({ tau: 0.2 }), c: coverage({ threshold: 0.25, topK: 2 }) },
      })
      const r = await probe.measure(x, { batchSize: 5 })
      probe.dispose()
      expect(tf.memory().numTensors).toBe(before)
      const conv = redo(convRows.flat(), 0.2)
      r.c!.d.scores.forEach((s, u) => expect(s).toBeCloseTo(conv.scores[u]!, 5))
      expect(r.c!.d.dormant).toBe(conv.dormant)
      expect(r.d!.d.dormant).toBe(redo(denseRows, 0.2).dormant)
      const cc = bruteCoverage(convRows, 0.25, 2)
      expect(Array.from(r.c!.c.coveredUnits, Boolean)).toEqual(cc.covered)
      expect(Array.from(r.c!.c.topKUnits, Boolean)).toEqual(cc.top)
      const dc = bruteCoverage(
        denseRows.map((row) => [row]),
        0.25,
        2,
      )
      expect(Array.from(r.d!.c.coveredUnits, Boolean)).toEqual(dc.covered)
      const whole = convRows.map((ex, e) => [...ex.flat(), ...denseRows[e]!])
      expect(r.network!.d.rows).toBe(13)
      r.network!.d.meanAbs.forEach((v, u) => expect(v).toBeCloseTo(whole.reduce((s, row) => s + Math.abs(row[u]!), 0) / 13, 5))
      const total = totalCoverage(r, 'c', probe.sites)
      expect(total.units).toBe(3 + 6)
      expect(total.covered).toBe(cc.covered.filter(Boolean).length + dc.covered.filter(Boolean).length)
      x.dispose()
    },
  )
})

test('channels-first sites hand values over in row order, like their bits', async () => {
  const input = tfl.input({ shape: [3, 4, 4] })
  const conv = tfl.layers.conv2d({
    filters: 5,
    kernelSize: 3,
    dataFormat: 'channelsFirst',
    activation: 'relu',
    name: 'cf',
    kernelInitializer: tfl.initializers.glorotNormal({ seed: 4 }),
  })
  const m = tfl.model({ inputs: input, outputs: conv.apply(input) as tfl.SymbolicTensor })
  const x = tf.randomNormal([3, 3, 4, 4], 0, 1, 'float32', 5)
  const out = (m.predict(x) as tf.Tensor).arraySync() as number[][][][] // [example][channel][h][w]
  const rows = out.flatMap((ex) => Array.from({ length: 4 }, (_, p) => ex.map((ch) => ch.flat()[p]!)))
  // the raw values, as a reducer sees them: row by row, unit by unit
  const raw: Reducer<number[], number[]> = {
    name: 'raw',
    needs: 'values',
    init: () => [],
    update: (s, b) => (s.push(...b.values!), s),
    merge: (a, b) => [...a, ...b],
    result: (s) => s,
  }
  const probe = instrument(m, { reducers: { d: dormant(), raw } })
  const r = await probe.measure(x)
  probe.dispose()
  r.cf!.raw.forEach((v, i) => expect(v).toBeCloseTo(rows.flat()[i]!, 5))
  expect(r.cf!.raw).toHaveLength(rows.flat().length)
  const want = redo(rows, 0.1)
  r.cf!.d.scores.forEach((s, u) => expect(s).toBeCloseTo(want.scores[u]!, 5))
  expect(r.cf!.d.rows).toBe(12)
  x.dispose()
})

describe('value reducers refuse what would give a wrong number', () => {
  test('a unit at +Infinity is on, not dead: its score is Infinity and the layer mean leaves it out', () => {
    const r = dormant({ tau: 0.5 })
    const got = r.result(r.update(r.init(layoutOf(3)), valueBatch([Number.POSITIVE_INFINITY, 1, 1, Number.POSITIVE_INFINITY, 2, 0.1], 3)))
    expect(got.dead).toBe(0)
    expect(got.scores[0]).toBe(Number.POSITIVE_INFINITY)
    expect(got.dormantUnits[0]).toBe(0)
    expect(got.scores[1]).toBeCloseTo(1.5 / ((1.5 + 0.55) / 2), 6)
    expect(got.nonFinite).toBe(2)
  })

  test('crafted states: sums without rows, covered units without examples, options of another coverage()', () => {
    const d = dormant()
    const forged = { ...d.init(layoutOf(3)), sums: Float64Array.from([500, 0, 0]) }
    expect(() => d.result(forged)).toThrow(expect.objectContaining({ code: 'CORRUPT_DATA' }))
    expect(() => d.merge(forged, d.init(layoutOf(3)))).toThrow(expect.objectContaining({ code: 'CORRUPT_DATA' }))
    const c = coverage()
    const covered = { ...c.init(layoutOf(3)), covered: Uint8Array.from([1, 1, 1]) }
    expect(() => c.result(covered)).toThrow(expect.objectContaining({ code: 'CORRUPT_DATA' }))
    const other = coverage({ threshold: 0.9 }).init(layoutOf(3))
    expect(() => c.result(other)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringContaining('0.9') }))
  })

  test("a reducer declaring another need than 'values' is INVALID_REDUCER", () => {
    const m = tfl.sequential({ layers: [tfl.layers.dense({ units: 2, activation: 'relu', inputShape: [2] })] })
    const typo = { ...dormant(), needs: 'value' }
    expect(() => instrument(m, { reducers: { d: typo as never } })).toThrow(expect.objectContaining({ code: 'INVALID_REDUCER' }))
  })

  test('totalCoverage counts a layer named network, and leaves out the whole-network site', async () => {
    const input = tfl.input({ shape: [3] })
    const a = tfl.layers
      .dense({ units: 4, activation: 'relu', name: 'network', kernelInitializer: tfl.initializers.glorotNormal({ seed: 1 }) })
      .apply(input) as tfl.SymbolicTensor
    const b = tfl.layers
      .dense({ units: 2, activation: 'relu', name: 'd2', kernelInitializer: tfl.initializers.glorotNormal({ seed: 2 }) })
      .apply(a) as tfl.SymbolicTensor
    const m = tfl.model({ inputs: input, outputs: b })
    const probe = instrument(m, { reducers: { c: coverage() } })
    const x = tf.randomNormal([8, 3], 0, 1, 'float32', 1)
    const r = await probe.measure(x)
    expect(totalCoverage(r, 'c', probe.sites).units).toBe(6)
    probe.dispose()
    x.dispose()
    expect(() => totalCoverage(r, 'c', undefined as never)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
  })
})
