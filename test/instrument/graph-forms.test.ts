import { beforeAll, describe, expect, test } from 'vitest'
import { instrument } from '../../src/index.js'
import { attrs, graphModel, numbers } from '../helpers/graph-json.js'
import { collect, signRows, tf, unpackRows, useCpu } from '../helpers/tf.js'

beforeAll(useCpu)

const dense = { w: { shape: [6, 5], values: numbers(30, 1) }, b: { shape: [5], values: numbers(5, 2) } }
const conv = { k: { shape: [1, 1, 3, 4], values: numbers(12, 3) }, kb: { shape: [4], values: numbers(4, 4) } }
const zero = { zero: { shape: [], values: [0] } }
const cap = { cap: { shape: [], values: [0.3] } }

/** Records a model's sites during its own predict; the same graph executed with the site nodes as outputs is the brute force. */
function check(
  model: ReturnType<typeof graphModel>,
  x: tf.Tensor,
  expected: { id: string; className: string; activation: string; units: number; positions: number; dataFormat?: string }[],
) {
  const probe = instrument(model, { reducers: { bits: collect() }, saturation: true })
  expect(
    probe.sites
      .filter((s) => s.plane === 'sign')
      .map(({ id, className, activation, units, positions }) => ({ id, className, activation, units, positions })),
  ).toEqual(expected.map(({ dataFormat, ...e }) => e))
  const plain = probe.sites.map((s) => s.id)
  tf.dispose(model.predict(x) as tf.Tensor)
  const results = probe.results()
  probe.dispose()
  for (const site of probe.sites) {
    const node = site.id.replace(/:saturated$/, '')
    const out = model.execute(x, node) as tf.Tensor
    const rows = site.dataFormat === 'channelsFirst' ? tf.transpose(out, [0, 2, 3, 1]) : out
    const values = site.plane === 'saturation' ? tf.sub(tf.greaterEqual(rows, site.maxValue!), 0.5) : rows
    expect(unpackRows(results[site.id]!.bits), site.id).toEqual(signRows(values.dataSync(), site.units))
    tf.dispose([out, rows, values])
  }
  return { probe, plain }
}

describe('every ReLU form in a graph is a site, equal to brute force', () => {
  test('Relu, Relu6 and _FusedMatMul with [BiasAdd, Relu] / [BiasAdd, Relu6]; a fused op without activation is not a site', () => {
    const model = graphModel({
      input: [-1, 6],
      consts: { ...dense, w2: { shape: [5, 5], values: numbers(25, 5) } },
      nodes: [
        { name: 'mm', op: '_FusedMatMul', input: ['x', 'w', 'b'], attr: { ...attrs.fused('BiasAdd', 'Relu'), ...attrs.matmul() } },
        { name: 'lin', op: '_FusedMatMul', input: ['mm', 'w2', 'b'], attr: { ...attrs.fused('BiasAdd'), ...attrs.matmul() } },
        { name: 'r6', op: 'Relu6', input: ['lin'] },
        { name: 'mm6', op: '_FusedMatMul', input: ['r6', 'w2', 'b'], attr: { ...attrs.fused('BiasAdd', 'Relu6'), ...attrs.matmul() } },
        { name: 'r', op: 'Relu', input: ['lin'] },
      ],
      outputs: ['mm6', 'r'],
    })
    const x = tf.tensor2d(
      numbers(24, 9).map((v) => v * 8),
      [4, 6],
    )
    check(model, x, [
      { id: 'mm', className: '_FusedMatMul', activation: 'relu', units: 5, positions: 1 },
      { id: 'r6', className: 'Relu6', activation: 'relu6', units: 5, positions: 1 },
      { id: 'mm6', className: '_FusedMatMul', activation: 'relu6', units: 5, positions: 1 },
      { id: 'r', className: 'Relu', activation: 'relu', units: 5, positions: 1 },
    ])
    x.dispose()
  })

  test('ReLU in disguise: Maximum(x, 0), Minimum(Maximum(x, 0), c) and ClipByValue(x, 0, c)', () => {
    const model = graphModel({
      input: [-1, 6],
      consts: { ...dense, ...zero, ...cap },
      nodes: [
        { name: 'mm', op: 'MatMul', input: ['x', 'w'], attr: attrs.matmul() },
        { name: 'max', op: 'Maximum', input: ['mm', 'zero'] },
        { name: 'max2', op: 'Maximum', input: ['zero', 'mm'] },
        { name: 'min', op: 'Minimum', input: ['max2', 'cap'] },
        { name: 'clip', op: 'ClipByValue', input: ['mm', 'zero', 'cap'] },
        { name: 'sum', op: 'AddV2', input: ['max', 'min'] },
        { name: 'out', op: 'AddV2', input: ['sum', 'clip'] },
      ],
      outputs: ['out'],
    })
    const x = tf.tensor2d(numbers(30, 11), [5, 6])
    const { probe } = check(model, x, [
      { id: 'max', className: 'Maximum', activation: 'relu', units: 5, positions: 1 },
      { id: 'min', className: 'Maximum+Minimum', activation: 'relu-capped', units: 5, positions: 1 },
      { id: 'clip', className: 'ClipByValue', activation: 'relu-capped', units: 5, positions: 1 },
    ])
    expect(probe.sites.find((s) => s.id === 'clip')!.maxValue).toBeCloseTo(0.3, 6)
    expect(probe.sites.map((s) => s.id)).toContain('clip:saturated')
    x.dispose()
  })

  test('a fused NHWC convolution, and a standalone Relu after an NCHW Conv2D: channels are the units', () => {
    const model = graphModel({
      input: [-1, 3, 3, 3],
      consts: { ...conv },
      nodes: [
        { name: 'c', op: '_FusedConv2D', input: ['x', 'k', 'kb'], attr: { ...attrs.fused('BiasAdd', 'Relu'), ...attrs.conv('NHWC') } },
        { name: 'cf', op: 'Conv2D', input: ['x', 'k'], attr: attrs.conv('NCHW') },
        { name: 'rf', op: 'Relu', input: ['cf'] },
      ],
      outputs: ['c', 'rf'],
    })
    const x = tf.tensor4d(numbers(54, 13), [2, 3, 3, 3])
    const { probe } = check(model, x, [
      { id: 'c', className: '_FusedConv2D', activation: 'relu', units: 4, positions: 9 },
      { id: 'rf', className: 'Relu', activation: 'relu', units: 4, positions: 9 },
    ])
    expect(probe.sites.map((s) => s.dataFormat)).toEqual(['channelsLast', 'channelsFirst'])
    x.dispose()
  })

  test('LeakyRelu and a fused leakyrelu are listed in skipped, not recorded', () => {
    const model = graphModel({
      input: [-1, 6],
      consts: { ...dense },
      nodes: [
        {
          name: 'mm',
          op: '_FusedMatMul',
          input: ['x', 'w', 'b'],
          attr: { ...attrs.fused('BiasAdd', 'LeakyRelu'), ...attrs.matmul(), leakyrelu_alpha: { f: 0.2 } },
        },
        { name: 'leaky', op: 'LeakyRelu', input: ['mm'], attr: { alpha: { f: 0.1 } } },
        { name: 'r', op: 'Relu', input: ['leaky'] },
      ],
      outputs: ['r'],
    })
    const probe = instrument(model)
    expect(probe.sites.map((s) => s.id)).toEqual(['r'])
    expect(probe.skipped.map((s) => [s.id, s.reason])).toEqual([
      ['mm', 'not-a-relu'],
      ['leaky', 'not-a-relu'],
    ])
    probe.dispose()
  })

  test('a GraphModel that is not loaded is NOT_A_MODEL, saying to load it', async () => {
    const tfc = await import('@tensorflow/tfjs-converter')
    const unloaded = new tfc.GraphModel('file://nowhere/model.json')
    expect(() => instrument(unloaded)).toThrow(
      expect.objectContaining({ code: 'NOT_A_MODEL', message: expect.stringContaining('not loaded') }),
    )
  })

  test('no ReLU is NO_RELU_SITES; training mode is INVALID_OPTION, a dataFormat naming no site UNKNOWN_SITE; a second probe is refused', async () => {
    const none = graphModel({
      input: [-1, 6],
      consts: { ...dense },
      nodes: [{ name: 'mm', op: 'MatMul', input: ['x', 'w'], attr: attrs.matmul() }],
      outputs: ['mm'],
    })
    expect(() => instrument(none)).toThrow(expect.objectContaining({ code: 'NO_RELU_SITES' }))
    const model = graphModel({ input: [-1, 6], consts: { ...dense }, nodes: [{ name: 'r', op: 'Relu', input: ['x'] }], outputs: ['r'] })
    expect(() => instrument(model, { dataFormat: { nowhere: 'channelsLast' } })).toThrow(expect.objectContaining({ code: 'UNKNOWN_SITE' }))
    const probe = instrument(model)
    expect(() => instrument(model)).toThrow(expect.objectContaining({ code: 'ALREADY_INSTRUMENTED' }))
    const x = tf.ones([2, 6])
    await expect(probe.measure(x, { training: true })).rejects.toMatchObject({ code: 'INVALID_OPTION' })
    expect((await probe.measure(x))['r']!.units.rows).toBe(2)
    probe.dispose()
    x.dispose()
  })
})

describe('what belongs to the caller is never disposed', () => {
  test('a site node that is a signature output (no Identity), and a site read from the placeholder itself', () => {
    const model = graphModel({
      input: [-1, 6],
      consts: { w: { shape: [6, 5], values: numbers(30, 1) }, alpha: { shape: [6], values: numbers(6, 3) } },
      nodes: [
        { name: 'mm', op: 'MatMul', input: ['x', 'w'], attr: attrs.matmul() },
        { name: 'r', op: 'Relu', input: ['mm'] },
        { name: 'p', op: 'Prelu', input: ['x', 'alpha'] },
      ],
      outputs: ['r', 'p'],
      signatureOnNodes: true,
    })
    const probe = instrument(model, { activations: ['relu', 'prelu'], reducers: { bits: collect() } })
    const x = tf.tensor2d(numbers(18, 5), [3, 6])
    const before = tf.memory().numTensors
    const out = model.predict(x) as tf.Tensor[]
    const list = Array.isArray(out) ? out : Object.values(out as Record<string, tf.Tensor>)
    for (const t of list) expect(t.isDisposed).toBe(false)
    expect(x.isDisposed).toBe(false)
    expect(tf.memory().numTensors).toBe(before + list.length)
    const r = probe.results()
    probe.dispose()
    const mm = model.execute(x, 'mm') as tf.Tensor
    expect(unpackRows(r['r']!.bits)).toEqual(signRows(mm.dataSync(), 5))
    expect(unpackRows(r['p']!.bits)).toEqual(signRows(x.dataSync(), 6))
    tf.dispose([...list, x, mm])
  })

  test('a Relu after a Transpose of an NCHW convolution is channels-last; passes: training is refused', () => {
    const model = graphModel({
      input: [-1, 3, 3, 3],
      consts: { ...conv, perm: { shape: [4], values: [0, 2, 3, 1] } },
      nodes: [
        { name: 'cf', op: 'Conv2D', input: ['x', 'k'], attr: attrs.conv('NCHW') },
        { name: 't', op: 'Transpose', input: ['cf', 'perm'], attr: { Tperm: { type: 'DT_INT32' } } },
        { name: 'r', op: 'Relu', input: ['t'] },
      ],
      outputs: ['r'],
      intConsts: ['perm'],
    })
    expect(() => instrument(model, { passes: 'training' })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
    const probe = instrument(model)
    expect(probe.sites[0]).toMatchObject({ id: 'r', units: 4, positions: 9, dataFormat: 'channelsLast' })
    probe.dispose()
  })
})

test('a 3-D NCDHW format puts the channels right after the batch', () => {
  const model = graphModel({
    input: [-1, 2, 2, 2, 2],
    consts: { b: { shape: [2], values: [0.5, -0.5] } },
    nodes: [
      { name: 'ba', op: 'BiasAdd', input: ['x', 'b'], attr: { data_format: { s: Buffer.from('NCDHW').toString('base64') } } },
      { name: 'r', op: 'Relu', input: ['ba'] },
    ],
    outputs: ['r'],
  })
  const probe = instrument(model)
  expect(probe.sites[0]).toMatchObject({ id: 'r', units: 2, positions: 8, dataFormat: 'channelsFirst' })
  probe.dispose()
})

describe('graphs with control flow', () => {
  test('executeAsync records the sites outside frames; a ReLU inside a branch is listed as control-flow; measure runs it too', async () => {
    const model = graphModel({
      input: [-1, 6],
      consts: { w: { shape: [6, 5], values: numbers(30, 1) }, pred: { shape: [], values: [1] } },
      nodes: [
        { name: 'mm', op: 'MatMul', input: ['x', 'w'], attr: attrs.matmul() },
        { name: 'r0', op: 'Relu', input: ['mm'] },
        { name: 'sw', op: 'Switch', input: ['r0', 'pred'] },
        { name: 'r1', op: 'Relu', input: ['sw:1'] },
        { name: 'id0', op: 'Identity', input: ['sw'] },
        { name: 'm', op: 'Merge', input: ['r1', 'id0'], attr: { N: { i: '2' } } },
      ],
      outputs: ['m'],
    })
    const probe = instrument(model, { reducers: { bits: collect() } })
    expect(probe.sites.map((s) => [s.id, s.units, s.positions])).toEqual([['r0', 5, 1]])
    expect(probe.skipped.map((s) => [s.id, s.reason])).toEqual([['r1', 'control-flow']])
    const x = tf.tensor2d(numbers(18, 5), [3, 6])
    const before = tf.memory().numTensors
    const out = (await model.executeAsync(x)) as tf.Tensor
    expect(out.shape).toEqual([3, 5])
    out.dispose()
    expect(tf.memory().numTensors).toBe(before)
    const measured = await probe.measure(x, { batchSize: 2 })
    const r = probe.results()
    probe.dispose()
    const mm = (await model.executeAsync(x, 'mm')) as tf.Tensor
    const want = signRows(mm.dataSync(), 5)
    expect(unpackRows(r['r0']!.bits)).toEqual(want)
    expect(unpackRows(measured['r0']!.bits)).toEqual(want)
    tf.dispose([x, mm])
  })
})
