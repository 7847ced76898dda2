import { beforeAll, describe, expect, test } from 'vitest'
import { type Site, instrument } from '../../src/index.js'
import { collect, paddingIsZero, signRows, tf, tfl, unpackRows, useCpu } from '../helpers/tf.js'

beforeAll(useCpu)

type L = Parameters<ReturnType<typeof tfl.sequential>['add']>[0]

interface Case {
  name: string
  inputShape: number[]
  layers: () => L[]
  /** index of the layer whose output is the site */
  site: number
  expect: Partial<Site>
}

const cases: Case[] = [
  {
    name: 'Dense relu',
    inputShape: [7],
    layers: () => [tfl.layers.dense({ units: 37, activation: 'relu' })],
    site: 0,
    expect: { className: 'Dense', activation: 'relu', units: 37, positions: 1 },
  },
  {
    name: 'Dense relu6',
    inputShape: [7],
    layers: () => [
      tfl.layers.dense({ units: 33, activation: 'relu6', kernelInitializer: tfl.initializers.randomNormal({ stddev: 3, seed: 2 }) }),
    ],
    site: 0,
    expect: { activation: 'relu6', maxValue: 6, units: 33 },
  },
  {
    name: 'Dense on 3-D input (one pattern per step)',
    inputShape: [3, 5],
    layers: () => [tfl.layers.dense({ units: 34, activation: 'relu' })],
    site: 0,
    expect: { units: 34, positions: 3 },
  },
  {
    name: 'Conv1D',
    inputShape: [9, 3],
    layers: () => [tfl.layers.conv1d({ filters: 35, kernelSize: 3, activation: 'relu' })],
    site: 0,
    expect: { className: 'Conv1D', units: 35, positions: 7 },
  },
  {
    name: 'Conv2D',
    inputShape: [6, 5, 2],
    layers: () => [tfl.layers.conv2d({ filters: 35, kernelSize: 3, activation: 'relu' })],
    site: 0,
    expect: { className: 'Conv2D', units: 35, positions: 12 },
  },
  {
    name: 'Conv3D',
    inputShape: [4, 4, 3, 2],
    layers: () => [tfl.layers.conv3d({ filters: 33, kernelSize: 2, activation: 'relu' })],
    site: 0,
    expect: { className: 'Conv3D', units: 33, positions: 18 },
  },
  {
    name: 'Conv2DTranspose',
    inputShape: [4, 3, 3],
    layers: () => [tfl.layers.conv2dTranspose({ filters: 34, kernelSize: 2, activation: 'relu' })],
    site: 0,
    expect: { className: 'Conv2DTranspose', units: 34, positions: 20 },
  },
  {
    name: 'SeparableConv2D',
    inputShape: [6, 6, 3],
    layers: () => [tfl.layers.separableConv2d({ filters: 33, kernelSize: 3, activation: 'relu' })],
    site: 0,
    expect: { className: 'SeparableConv2D', units: 33, positions: 16 },
  },
  {
    name: 'DepthwiseConv2D',
    inputShape: [6, 6, 3],
    layers: () => [tfl.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 11, activation: 'relu' })],
    site: 0,
    expect: { className: 'DepthwiseConv2D', units: 33, positions: 16 },
  },
  {
    name: 'ReLU layer',
    inputShape: [7],
    layers: () => [tfl.layers.dense({ units: 40 }), tfl.layers.reLU()],
    site: 1,
    expect: { className: 'ReLU', activation: 'relu', maxValue: null, units: 40 },
  },
  {
    name: 'ReLU layer with maxValue',
    inputShape: [7],
    layers: () => [tfl.layers.dense({ units: 40 }), tfl.layers.reLU({ maxValue: 0.5 })],
    site: 1,
    expect: { activation: 'relu-capped', maxValue: 0.5 },
  },
  {
    name: "Activation('relu')",
    inputShape: [7],
    layers: () => [tfl.layers.dense({ units: 45 }), tfl.layers.activation({ activation: 'relu' })],
    site: 1,
    expect: { className: 'Activation', activation: 'relu', units: 45 },
  },
]

describe.each(cases)('$name', (c) => {
  test('is found, and its recorded bits equal brute force', async () => {
    const model = tfl.sequential()
    c.layers().forEach((l, i) => {
      if (i === 0) model.add(tfl.layers.inputLayer({ inputShape: c.inputShape }))
      model.add(l)
    })
    const probe = instrument(model, { reducers: { bits: collect() } })
    const siteLayer = model.layers.filter((l) => l.getClassName() !== 'InputLayer')[c.site]!
    expect(probe.sites.map((s) => s.id)).toEqual([siteLayer.name])
    expect(probe.sites[0]).toMatchObject({ ...c.expect, layerName: siteLayer.name, path: [], nodes: 1 })
    const x = tf.randomNormal([5, ...c.inputShape], 0, 1, 'float32', 7)
    const results = await probe.measure(x, { batchSize: 2 })
    const bits = results[siteLayer.name]!.bits
    const sub = tfl.model({ inputs: model.inputs, outputs: siteLayer.output as never })
    const y = sub.predict(x) as ReturnType<typeof tf.zeros>
    const want = signRows(y.dataSync(), probe.sites[0]!.units)
    expect(bits.rows).toBe(5 * (probe.sites[0]!.positions ?? 0))
    expect(unpackRows(bits)).toEqual(want)
    expect(paddingIsZero(bits)).toBe(true)
    // a non-trivial mix of on and off bits, or the comparison proves little
    const flat = want.flat()
    expect(flat.some((b) => b)).toBe(true)
    expect(flat.some((b) => !b)).toBe(true)
    tf.dispose([x, y])
    probe.dispose()
  })
})

test("granularity 'example' gives one pattern of H*W*C bits per example", async () => {
  const model = tfl.sequential({ layers: [tfl.layers.conv2d({ inputShape: [5, 5, 1], filters: 3, kernelSize: 2, activation: 'relu' })] })
  const probe = instrument(model, { granularity: 'example', reducers: { bits: collect() } })
  expect(probe.sites[0]).toMatchObject({ units: 48, positions: 1, granularity: 'example' })
  const x = tf.randomNormal([4, 5, 5, 1], 0, 1, 'float32', 3)
  const bits = (await probe.measure(x))[probe.sites[0]!.id]!.bits
  const y = model.predict(x) as ReturnType<typeof tf.zeros>
  expect(unpackRows(bits)).toEqual(signRows(y.dataSync(), 48))
  tf.dispose([x, y])
  probe.dispose()
})

test('channelsFirst conv: one pattern of C bits per position, same rows as channelsLast', async () => {
  const model = tfl.sequential({
    layers: [tfl.layers.conv2d({ inputShape: [2, 5, 4], filters: 35, kernelSize: 2, activation: 'relu', dataFormat: 'channelsFirst' })],
  })
  const probe = instrument(model, { reducers: { bits: collect() } })
  expect(probe.sites[0]).toMatchObject({ units: 35, positions: 12, dataFormat: 'channelsFirst' })
  const x = tf.randomNormal([3, 2, 5, 4], 0, 1, 'float32', 5)
  const bits = (await probe.measure(x))[probe.sites[0]!.id]!.bits
  const y = model.predict(x) as ReturnType<typeof tf.zeros>
  const last = tf.transpose(y, [0, 2, 3, 1])
  expect(unpackRows(bits)).toEqual(signRows(last.dataSync(), 35))
  tf.dispose([x, y, last])
  probe.dispose()
})

test('nested Sequential and functional models are walked; ids carry the path', async () => {
  const inner = tfl.sequential({
    name: 'inner',
    layers: [tfl.layers.dense({ inputShape: [6], units: 33, activation: 'relu', name: 'h1' }), tfl.layers.dense({ units: 3, name: 'out' })],
  })
  const innerIn = tfl.input({ shape: [3] })
  const deep = tfl.model({ name: 'deep', inputs: innerIn, outputs: tfl.layers.reLU({ name: 'r' }).apply(innerIn) as never })
  const input = tfl.input({ shape: [4] })
  const a = tfl.layers.dense({ units: 6, activation: 'relu', name: 'a' }).apply(input)
  const b = inner.apply(a)
  const c = deep.apply(b)
  const model = tfl.model({ inputs: input, outputs: c as never })
  const probe = instrument(model, { reducers: { bits: collect() } })
  expect(probe.sites.map((s) => s.id)).toEqual(['a', 'inner/h1', 'deep/r'])
  expect(probe.sites[1]!.path).toEqual(['inner'])
  const x = tf.randomNormal([9, 4], 0, 1, 'float32', 11)
  const results = await probe.measure(x)
  // brute force, model by model: tfjs cannot expose a nested layer's output from the outer model
  const aOut = tfl.model({ inputs: input, outputs: model.getLayer('a').output as never }).predict(x) as ReturnType<typeof tf.zeros>
  const h1 = tfl.model({ inputs: inner.inputs, outputs: inner.getLayer('h1').output as never }).predict(aOut) as ReturnType<typeof tf.zeros>
  const bOut = inner.predict(aOut) as ReturnType<typeof tf.zeros>
  expect(unpackRows(results['a']!.bits)).toEqual(signRows(aOut.dataSync(), 6))
  expect(unpackRows(results['inner/h1']!.bits)).toEqual(signRows(h1.dataSync(), 33))
  expect(unpackRows(results['deep/r']!.bits)).toEqual(signRows(bOut.dataSync(), 3))
  tf.dispose([x, aOut, h1, bOut])
  probe.dispose()
})

test('a layer shared at two graph nodes is one site recording the rows of both calls', async () => {
  const shared = tfl.layers.dense({ units: 35, activation: 'relu', name: 'shared' })
  const i1 = tfl.input({ shape: [4] })
  const i2 = tfl.input({ shape: [4] })
  const model = tfl.model({
    inputs: [i1, i2],
    outputs: tfl.layers.concatenate().apply([shared.apply(i1), shared.apply(i2)] as never) as never,
  })
  const probe = instrument(model, { reducers: { bits: collect() } })
  expect(probe.sites).toHaveLength(1)
  expect(probe.sites[0]).toMatchObject({ id: 'shared', nodes: 2 })
  const x1 = tf.randomNormal([3, 4], 0, 1, 'float32', 1)
  const x2 = tf.randomNormal([3, 4], 0, 1, 'float32', 2)
  const bits = (await probe.measure([x1, x2]))['shared']!.bits
  const [kernel, bias] = shared.getWeights()
  const y1 = tf.relu(tf.add(tf.matMul(x1, kernel!), bias!))
  const y2 = tf.relu(tf.add(tf.matMul(x2, kernel!), bias!))
  expect(bits.rows).toBe(6)
  // tfjs runs the two nodes in its own topological order; both calls must be recorded whole
  const r1 = signRows(y1.dataSync(), 35)
  const r2 = signRows(y2.dataSync(), 35)
  const got = unpackRows(bits)
  expect([got.slice(0, 3), got.slice(3)]).toEqual(expect.arrayContaining([r1, r2]))
  expect(r1).not.toEqual(r2)
  tf.dispose([x1, x2, y1, y2])
  probe.dispose()
})

test('LeakyReLU, PReLU, ELU, linear and softmax layers are not sites', () => {
  const model = tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [3], units: 4 }),
      tfl.layers.leakyReLU(),
      tfl.layers.dense({ units: 4, activation: 'elu' }),
      tfl.layers.prelu(),
      tfl.layers.dense({ units: 4, activation: 'softmax' }),
      tfl.layers.dense({ units: 4, activation: 'relu' }),
    ],
  })
  const probe = instrument(model)
  expect(probe.sites.map((s) => s.className)).toEqual(['Dense'])
  expect(probe.sites[0]!.layerName).toBe(model.layers[5]!.name)
  probe.dispose()
})

describe('site ids are unique whatever the names', () => {
  test("a layer named 'inner/d' next to a nested model 'inner' holding 'd': two sites, two ids, both recorded", async () => {
    const innerIn = tfl.input({ shape: [4] })
    const inner = tfl.model({
      name: 'inner',
      inputs: innerIn,
      outputs: tfl.layers.dense({ units: 5, activation: 'relu', name: 'd' }).apply(innerIn) as never,
    })
    const x = tfl.input({ shape: [4] })
    const slash = tfl.layers.dense({ units: 3, activation: 'relu', name: 'inner/d' })
    const relu6 = tfl.layers.dense({ units: 6, activation: 'relu6', name: 'e' })
    const outs = [inner.apply(x), slash.apply(x), relu6.apply(x)]
    const model = tfl.model({ inputs: x, outputs: tfl.layers.concatenate().apply(outs as never) as never })
    const probe = instrument(model, { reducers: { bits: collect() }, saturation: true })
    const ids = probe.sites.map((s) => s.id)
    expect(ids).toEqual(['inner/d', 'inner%2Fd', 'e', 'e:saturated'])
    expect(new Set(ids).size).toBe(ids.length)
    const input = tf.randomNormal([5, 4], 0, 1, 'float32', 2)
    const r = await probe.measure(input)
    expect(r['inner/d']!.bits.units).toBe(5)
    expect(r['inner%2Fd']!.bits.units).toBe(3)
    expect(r['e']!.bits.units).toBe(6)
    input.dispose()
    probe.dispose()
  })
})

describe('nodes: calls per forward pass', () => {
  test('a sub-model applied twice reports nodes: 2 and records both calls', async () => {
    const innerIn = tfl.input({ shape: [4] })
    const inner = tfl.model({
      name: 'block',
      inputs: innerIn,
      outputs: tfl.layers.dense({ units: 4, activation: 'relu', name: 'd' }).apply(innerIn) as never,
    })
    const x = tfl.input({ shape: [4] })
    const model = tfl.model({ inputs: x, outputs: inner.apply(inner.apply(x)) as never })
    const probe = instrument(model, { reducers: { bits: collect() } })
    expect(probe.sites).toHaveLength(1)
    expect(probe.sites[0]).toMatchObject({ id: 'block/d', nodes: 2 })
    const input = tf.randomNormal([3, 4], 0, 1, 'float32', 5)
    const r = await probe.measure(input)
    expect(r['block/d']!.bits.rows).toBe(6)
    input.dispose()
    probe.dispose()
  })
})

test('a layer shared by two sub-models counts the calls of both', async () => {
  const sh = tfl.layers.dense({ units: 3, activation: 'relu', name: 'sh' })
  const ia = tfl.input({ shape: [4] })
  const ib = tfl.input({ shape: [4] })
  const A = tfl.model({ name: 'A', inputs: ia, outputs: sh.apply(ia) as never })
  const B = tfl.model({ name: 'B', inputs: ib, outputs: sh.apply(ib) as never })
  const x = tfl.input({ shape: [4] })
  const model = tfl.model({ inputs: x, outputs: tfl.layers.concatenate().apply([A.apply(x), B.apply(x)] as never) as never })
  const probe = instrument(model, { reducers: { bits: collect() } })
  expect(probe.sites).toEqual([expect.objectContaining({ id: 'A/sh', nodes: 2 })])
  const input = tf.ones([5, 4])
  expect((await probe.measure(input))['A/sh']!.bits.rows).toBe(10)
  input.dispose()
  probe.dispose()
})
