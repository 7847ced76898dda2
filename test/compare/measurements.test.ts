import { beforeAll, describe, expect, test } from 'vitest'
import { compare, deserialize, instrument, serialize } from '../../src/index.js'
import { data, mlp } from '../helpers/models.js'
import { signRows, tf, tfl, useCpu } from '../helpers/tf.js'

beforeAll(useCpu)

const sub = (model: ReturnType<typeof mlp>, id: string, x: tf.Tensor) =>
  tfl.model({ inputs: model.inputs, outputs: model.getLayer(id).output as never }).predict(x) as tf.Tensor

describe('retained measurements and compare', () => {
  test('flip rates, changed rows and histogram similarity equal brute force before/after training', async () => {
    const model = mlp(11)
    const { xs, ys } = data(60, 12, 3, 21)
    const id = model.layers[0]!.name
    const bitsBefore = signRows(sub(model, id, xs).dataSync(), 37)
    const probe = instrument(model)
    const before = await probe.measurePatterns(xs, { batchSize: 16 })
    await model.fit(xs, ys, { epochs: 5, batchSize: 10, verbose: 0 })
    const after = await probe.measurePatterns(xs, { batchSize: 7 })
    probe.dispose()
    const bitsAfter = signRows(sub(model, id, xs).dataSync(), 37)

    expect(before.examples).toBe(60)
    expect(before.inputs).toBe(after.inputs)
    expect(before.results[id]!.patterns.rows).toBe(60)
    const c = compare(before, after)[id]!
    let flips = 0
    let changed = 0
    const unitFlips = new Array(37).fill(0)
    bitsBefore.forEach((row, r) => {
      let any = false
      row.forEach((bit, u) => {
        if (bit !== bitsAfter[r]![u]) {
          flips++
          unitFlips[u]++
          any = true
        }
      })
      if (any) changed++
    })
    expect(flips).toBeGreaterThan(0)
    expect(c.flipRate).toBeCloseTo(flips / (60 * 37), 12)
    expect(c.rowsChanged).toBe(changed)
    expect(Array.from(c.unitFlipRate)).toEqual(unitFlips.map((f) => f / 60))
    const set = (rows: boolean[][]) => new Set(rows.map((r) => r.join()))
    const sa = set(bitsBefore)
    const sb = set(bitsAfter)
    const inter = [...sa].filter((k) => sb.has(k)).length
    expect(c.jaccard).toBeCloseTo(inter / (sa.size + sb.size - inter), 12)
    expect(c.patternsRemoved).toBe(sa.size - inter)
    expect(c.patternsAdded).toBe(sb.size - inter)

    // a measurement compared with itself (after a round trip through serialize) is unchanged
    const again = compare(after, deserialize(serialize(after)) as typeof after)[id]!
    expect(again).toMatchObject({ flipRate: 0, rowsChanged: 0, jaccard: 1, weightedJaccard: 1 })
    expect(compare(after, structuredClone(after))[id]!.flipRate).toBe(0)
    tf.dispose([xs, ys])
  })

  test('different inputs are INPUT_MISMATCH; different models MODEL_MISMATCH', async () => {
    const model = mlp()
    const { xs } = data(10)
    const other = tf.add(xs, 1)
    const probe = instrument(model)
    const a = await probe.measurePatterns(xs)
    const b = await probe.measurePatterns(other)
    const reordered = await probe.measurePatterns(tf.reverse(xs, 0))
    probe.dispose()
    expect(() => compare(a, b)).toThrow(expect.objectContaining({ code: 'INPUT_MISMATCH' }))
    expect(() => compare(a, reordered)).toThrow(expect.objectContaining({ code: 'INPUT_MISMATCH' }))
    const small = mlp(1, [12, 20, 3])
    const p2 = instrument(small)
    const c = await p2.measurePatterns(xs)
    p2.dispose()
    expect(() => compare(a, c)).toThrow(expect.objectContaining({ code: 'MODEL_MISMATCH' }))
    expect(() => compare(a, a.results as never)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
    tf.dispose([xs, other])
  })
})

describe('labels in measure', () => {
  test('a conv example label applies to each of its positions', async () => {
    const model = tfl.sequential({ layers: [tfl.layers.conv2d({ inputShape: [4, 4, 1], filters: 3, kernelSize: 2, activation: 'relu' })] })
    const probe = instrument(model)
    const x = tf.randomNormal([6, 4, 4, 1], 0, 1, 'float32', 8)
    const labels = [0, 1, 0, 1, 2, 2]
    const m = await probe.measurePatterns(x, { labels, batchSize: 4 })
    const id = probe.sites[0]!.id
    // brute force over the 6 x 9 rows with per-row labels
    const rows = signRows((model.predict(x) as tf.Tensor).dataSync(), 3)
    const rowLabels = rows.map((_, r) => labels[Math.floor(r / 9)]!)
    const key = (r: boolean[]) => r.join()
    const H = (m: Map<string, number>, n: number) => [...m.values()].reduce((h, c) => h - (c / n) * Math.log2(c / n), 0)
    const count = (keys: string[]) => keys.reduce((m, k) => m.set(k, (m.get(k) ?? 0) + 1), new Map<string, number>())
    const joint = H(count(rows.map((r, i) => `${key(r)}|${rowLabels[i]}`)), 54)
    const hl = H(count(rowLabels.map(String)), 54)
    const ha = H(count(rows.map(key)), 54)
    expect(m.results[id]!.patterns.conditionalEntropy).toBeCloseTo(joint - hl, 10)
    expect(m.results[id]!.patterns.mutualInformation).toBeCloseTo(ha - (joint - hl), 10)
    await expect(probe.measure(x, { labels: [1, 2] })).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    await expect(probe.measure(x, { labels: [0, 1, 2, 3, 4, 5, 6] })).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    await expect(probe.measure(x, { labels: [0, 1, 2, 3, 4, 0.5] })).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    const fromTensor = await probe.measure(x, { labels: tf.tensor1d(labels, 'int32') })
    expect(fromTensor[id]!.patterns.conditionalEntropy).toBe(m.results[id]!.patterns.conditionalEntropy)
    probe.dispose()
    x.dispose()
  })
})

describe('saturation plane', () => {
  test('ReLU6 and capped ReLU sites get a second plane marking units at the cap', async () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.dense({
          inputShape: [5],
          units: 40,
          activation: 'relu6',
          kernelInitializer: tfl.initializers.randomNormal({ stddev: 4, seed: 1 }),
        }),
        tfl.layers.dense({ units: 35 }),
        tfl.layers.reLU({ maxValue: 0.3 }),
        tfl.layers.dense({ units: 3, activation: 'relu' }),
      ],
    })
    const probe = instrument(model, { saturation: true, reducers: { u: (await import('../../src/index.js')).unitStats() } })
    const [d1, , r, d3] = model.layers.map((l) => l.name)
    expect(probe.sites.map((s) => [s.id, s.plane])).toEqual([
      [d1, 'sign'],
      [`${d1}:saturated`, 'saturation'],
      [r, 'sign'],
      [`${r}:saturated`, 'saturation'],
      [d3, 'sign'],
    ])
    const x = tf.randomNormal([50, 5], 0, 1, 'float32', 2)
    const m = await probe.measurePatterns(x)
    const out1 = sub(model as never, d1!, x).dataSync()
    const outR = sub(model as never, r!, x).dataSync()
    const bits = (p: { words: Uint32Array; rows: number; units: number; wordsPerRow: number }) =>
      Array.from({ length: p.rows }, (_, i) =>
        Array.from({ length: p.units }, (_, u) => ((p.words[i * p.wordsPerRow + (u >>> 5)]! >>> (u & 31)) & 1) === 1),
      )
    const atCap = (v: Float32Array | Int32Array | Uint8Array, units: number, cap: number) =>
      Array.from({ length: v.length / units }, (_, i) => Array.from({ length: units }, (_, u) => v[i * units + u]! >= Math.fround(cap)))
    expect(bits(m.patterns[`${d1}:saturated`]!)).toEqual(atCap(out1, 40, 6))
    expect(bits(m.patterns[`${r}:saturated`]!)).toEqual(atCap(outR, 35, 0.3))
    const saturatedShare = m.results[`${d1}:saturated`]!.u.frequency.reduce((a, b) => a + b, 0) / 40
    expect(saturatedShare).toBeGreaterThan(0.05)
    expect(saturatedShare).toBeLessThan(0.6)
    // saturated implies on: the saturation plane is a subset of the sign plane
    const sign = bits(m.patterns[d1!]!)
    bits(m.patterns[`${d1}:saturated`]!).forEach((row, i) => row.forEach((s, u) => s && expect(sign[i]![u]).toBe(true)))
    probe.dispose()
    x.dispose()
  })
})
