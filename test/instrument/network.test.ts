import { beforeAll, describe, expect, test } from 'vitest'
import { instrument, patternHistogram, unitStats } from '../../src/index.js'
import { collect, tf, tfl, useCpu } from '../helpers/tf.js'

beforeAll(useCpu)

/** A conv site feeding two parallel dense branches (tfjs runs them in another order than `model.layers`). */
function branchy(seed = 3): tfl.LayersModel {
  const init = (s: number) => ({
    kernelInitializer: tfl.initializers.glorotNormal({ seed: seed + s }),
    biasInitializer: tfl.initializers.randomNormal({ stddev: 0.3, seed: seed + 50 + s }),
  })
  const input = tfl.input({ shape: [5, 5, 2] })
  const c1 = tfl.layers.conv2d({ filters: 3, kernelSize: 3, activation: 'relu', name: 'c1', ...init(1) }).apply(input) as tfl.SymbolicTensor
  const flat = tfl.layers.flatten().apply(c1) as tfl.SymbolicTensor
  const a = tfl.layers.dense({ units: 5, activation: 'relu', name: 'a', ...init(2) }).apply(flat) as tfl.SymbolicTensor
  const pre = tfl.layers.dense({ units: 4, name: 'pre', ...init(3) }).apply(flat) as tfl.SymbolicTensor
  const b = tfl.layers.reLU({ name: 'b' }).apply(pre) as tfl.SymbolicTensor
  const joined = tfl.layers.concatenate().apply([a, b]) as tfl.SymbolicTensor
  const out = tfl.layers.dense({ units: 3, activation: 'softmax', name: 'out', ...init(4) }).apply(joined) as tfl.SymbolicTensor
  const model = tfl.model({ inputs: input, outputs: out })
  model.compile({ optimizer: tf.train.sgd(0.05), loss: 'categoricalCrossentropy' })
  return model
}

/** Brute force: each example's whole-network bits, site by site, position by position, as a 0/1 string. */
function wholePatterns(model: tfl.LayersModel, names: string[], x: tf.Tensor): string[] {
  const probeModel = tfl.model({ inputs: model.inputs, outputs: names.map((n) => model.getLayer(n).output as tfl.SymbolicTensor) })
  const outs = probeModel.predict(x) as tf.Tensor[]
  const examples = x.shape[0]!
  const rows = Array.from({ length: examples }, () => '')
  for (const t of outs) {
    const values = t.dataSync()
    const per = values.length / examples
    for (let e = 0; e < examples; e++) for (let i = 0; i < per; i++) rows[e] += values[e * per + i]! > 0 ? '1' : '0'
  }
  tf.dispose(outs)
  return rows
}

function rowsOf(c: { units: number; wordsPerRow: number; rows: number; words: number[] }): string[] {
  return Array.from({ length: c.rows }, (_, r) => {
    let s = ''
    for (let u = 0; u < c.units; u++) s += ((c.words[r * c.wordsPerRow + (u >>> 5)]! >>> (u & 31)) & 1) === 1 ? '1' : '0'
    return s
  })
}

describe('the whole-network site', () => {
  test('concatenates every site, position by position, in site order; exact against brute force', async () => {
    const model = branchy()
    const x = tf.randomNormal([37, 5, 5, 2], 0, 1, 'float32', 7)
    const before = tf.memory().numTensors
    const probe = instrument(model, { network: true, reducers: { rows: collect(), h: patternHistogram() } })
    expect(probe.sites.map((s) => s.id)).toEqual(['c1', 'a', 'b', 'network'])
    const site = probe.sites[3]!
    expect(site).toMatchObject({ plane: 'network', units: 9 * 3 + 5 + 4, positions: 1, granularity: 'example' })
    expect(probe.network).toEqual([
      { id: 'c1', offset: 0, units: 3, positions: 9 },
      { id: 'a', offset: 27, units: 5, positions: 1 },
      { id: 'b', offset: 32, units: 4, positions: 1 },
    ])
    const measured = await probe.measure(x, { batchSize: 10 })
    const predicted = model.predict(x) as tf.Tensor
    predicted.dispose()
    probe.dispose()
    expect(tf.memory().numTensors).toBe(before)
    const want = wholePatterns(model, ['c1', 'a', 'b'], x)
    expect(rowsOf(measured.network!.rows)).toEqual(want)
    expect(measured.network!.h.distinct).toBe(new Set(want).size)
    x.dispose()
  })

  test('in training, one pattern per example of every step; counters say how many passes', async () => {
    const model = branchy(5)
    const x = tf.randomNormal([24, 5, 5, 2], 0, 1, 'float32', 8)
    const y = tf.oneHot(
      tf.tensor1d(
        [...Array(24).keys()].map((i) => i % 3),
        'int32',
      ),
      3,
    )
    const probe = instrument(model, { network: true, passes: 'training', reducers: { u: unitStats() } })
    await model.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0 })
    const c = probe.counters()
    expect(c.network).toMatchObject({ calls: 6, recorded: 6, rows: 48, nonFinite: 0 })
    expect(c.c1!.rows).toBe(48 * 9)
    expect(probe.results().network!.u.rows).toBe(48)
    probe.dispose()
    tf.dispose([x, y])
  })

  test('a pass through only part of the sites is dropped, never joined with another pass', async () => {
    const model = branchy(9)
    const head = tfl.model({ inputs: model.inputs, outputs: model.getLayer('c1').output as tfl.SymbolicTensor })
    const x = tf.randomNormal([4, 5, 5, 2], 0, 1, 'float32', 9)
    const probe = instrument(model, { network: true, reducers: { rows: collect() } })
    tf.dispose(head.predict(x) as tf.Tensor)
    await Promise.resolve()
    tf.dispose(model.predict(x) as tf.Tensor)
    tf.dispose(head.predict(x) as tf.Tensor)
    tf.dispose(head.predict(x) as tf.Tensor)
    const c = probe.counters()
    expect(c.c1!.rows).toBe(4 * 9 * 4)
    expect(c.network).toMatchObject({ calls: 4, recorded: 1, rows: 4 })
    const rows = rowsOf(probe.results().network!.rows)
    probe.dispose()
    expect(rows).toEqual(wholePatterns(model, ['c1', 'a', 'b'], x))
    x.dispose()
  })

  test('refused with INVALID_OPTION: a shared layer, a layer named network, sizes that vary', () => {
    const input = tfl.input({ shape: [4] })
    const shared = tfl.layers.dense({ units: 3, activation: 'relu', name: 'shared' })
    const twice = tfl.model({
      inputs: input,
      outputs: shared.apply(shared.apply(tfl.layers.dense({ units: 3 }).apply(input))) as tfl.SymbolicTensor,
    })
    expect(() => instrument(twice, { network: true })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION', message: expect.stringContaining('shared') }),
    )
    const named = tfl.sequential({ layers: [tfl.layers.dense({ units: 3, activation: 'relu', name: 'network', inputShape: [2] })] })
    expect(() => instrument(named, { network: true })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION', message: expect.stringContaining('rename') }),
    )
    const varying = tfl.sequential({
      layers: [tfl.layers.conv2d({ filters: 2, kernelSize: 1, activation: 'relu', inputShape: [null, null, 1] })],
    })
    expect(() => instrument(varying, { network: true })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION', message: expect.stringContaining('fixed') }),
    )
    expect(() => instrument(named, { network: 1 as never })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
    // nothing was left tapped: the model can be instrumented again
    instrument(named).dispose()
  })
})
