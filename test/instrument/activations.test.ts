import { beforeAll, describe, expect, test } from 'vitest'
import { instrument } from '../../src/index.js'
import { attrs, graphModel, numbers } from '../helpers/graph-json.js'
import { collect, signRows, tf, tfl, unpackRows, useCpu } from '../helpers/tf.js'

beforeAll(useCpu)

const init = (seed: number) => tfl.initializers.glorotUniform({ seed })
const bias = (seed: number) => tfl.initializers.randomNormal({ seed, stddev: 0.3 })

describe('opt-in activation kinds: the pattern is the sign of the activation input', () => {
  test('layers: smooth activations, LeakyReLU, and PReLU with negative slopes (read from its input), against brute force', async () => {
    const smooth = ['elu', 'selu', 'gelu', 'swish', 'mish'] as const
    const input = tfl.input({ shape: [6] })
    const lin = tfl.layers
      .dense({ units: 8, name: 'lin', kernelInitializer: init(1), biasInitializer: bias(2) })
      .apply(input) as tfl.SymbolicTensor
    const leaky = tfl.layers.leakyReLU({ alpha: 0.2, name: 'leaky' }).apply(lin)
    const prelu = tfl.layers.prelu({ name: 'prelu', alphaInitializer: tfl.initializers.constant({ value: -0.5 }) }).apply(lin)
    const denses = smooth.map((a, i) =>
      tfl.layers
        .dense({ units: 5, activation: a as never, name: a, kernelInitializer: init(10 + i), biasInitializer: bias(20 + i) })
        .apply(lin),
    )
    const model = tfl.model({ inputs: input, outputs: tfl.layers.concatenate().apply([leaky, prelu, ...denses] as never) as never })

    const none = instrument(model, { allowEmpty: true })
    expect(none.sites).toEqual([])
    expect(none.skipped.map((s) => s.id)).toEqual(['leaky', 'prelu'])
    none.dispose()

    const probe = instrument(model, {
      activations: ['relu', 'leakyRelu', 'prelu', 'elu', 'selu', 'gelu', 'swish', 'mish'],
      reducers: { bits: collect() },
    })
    expect(probe.sites.map((s) => [s.id, s.activation, s.reads])).toEqual([
      ['leaky', 'leakyRelu', 'output'],
      ['prelu', 'prelu', 'input'],
      ...smooth.map((a) => [a, a, 'output']),
    ])
    const x = tf.randomNormal([9, 6], 0, 1, 'float32', 3)
    const r = await probe.measure(x)
    const linOut = tfl.model({ inputs: input, outputs: lin }).predict(x) as tf.Tensor
    // the PReLU's output has the opposite sign where its input is negative: the bits follow the input
    expect(unpackRows(r['prelu']!.bits)).toEqual(signRows(linOut.dataSync(), 8))
    expect(unpackRows(r['leaky']!.bits)).toEqual(signRows(linOut.dataSync(), 8))
    smooth.forEach((a) => {
      const [w, b] = model.getLayer(a).getWeights()
      const pre = tf.add(tf.matMul(linOut, w!), b!)
      expect(unpackRows(r[a]!.bits), a).toEqual(signRows(pre.dataSync(), 5))
      pre.dispose()
    })
    tf.dispose([x, linOut])
    probe.dispose()
  })

  test('graphs: Elu, Selu, LeakyRelu and Prelu nodes (Prelu read from the node that feeds it)', () => {
    const model = graphModel({
      input: [-1, 6],
      consts: { w: { shape: [6, 5], values: numbers(30, 1) }, alpha: { shape: [5], values: [-0.5, 0.5, -1, 2, -0.1] } },
      nodes: [
        { name: 'mm', op: 'MatMul', input: ['x', 'w'], attr: attrs.matmul() },
        { name: 'elu', op: 'Elu', input: ['mm'] },
        { name: 'selu', op: 'Selu', input: ['mm'] },
        { name: 'leaky', op: 'LeakyRelu', input: ['mm'], attr: { alpha: { f: 0.2 } } },
        { name: 'prelu', op: 'Prelu', input: ['mm', 'alpha'] },
        { name: 's1', op: 'AddV2', input: ['elu', 'selu'] },
        { name: 's2', op: 'AddV2', input: ['leaky', 'prelu'] },
        { name: 'out', op: 'AddV2', input: ['s1', 's2'] },
      ],
      outputs: ['out'],
    })
    expect(() => instrument(model)).toThrow(expect.objectContaining({ code: 'NO_RELU_SITES' }))
    const probe = instrument(model, { activations: ['elu', 'selu', 'leakyRelu', 'prelu'], reducers: { bits: collect() } })
    expect(probe.sites.map((s) => [s.id, s.activation, s.reads])).toEqual([
      ['elu', 'elu', 'output'],
      ['selu', 'selu', 'output'],
      ['leaky', 'leakyRelu', 'output'],
      ['prelu', 'prelu', 'input'],
    ])
    const x = tf.tensor2d(numbers(24, 7), [4, 6])
    tf.dispose(model.predict(x) as tf.Tensor)
    const r = probe.results()
    probe.dispose() // the brute-force execution below must not be recorded
    const mm = model.execute(x, 'mm') as tf.Tensor
    for (const id of ['elu', 'selu', 'leaky', 'prelu']) expect(unpackRows(r[id]!.bits), id).toEqual(signRows(mm.dataSync(), 5))
    tf.dispose([x, mm])
  })

  test('an unknown kind is INVALID_OPTION', () => {
    const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [3], units: 2, activation: 'relu' })] })
    expect(() => instrument(model, { activations: ['tanh' as never] })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
    expect(() => instrument(model, { activations: [] })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
  })
})

describe('opt-in kinds without relu, wrapped, and their channel axis', () => {
  test('TimeDistributed(PReLU) is a site with activations: [prelu] alone, and listed as wrapped by default', () => {
    const make = () =>
      tfl.sequential({
        layers: [
          tfl.layers.timeDistributed({
            inputShape: [3, 4],
            layer: tfl.layers.prelu({ alphaInitializer: tfl.initializers.constant({ value: -1 }) }) as never,
            name: 'tdp',
          }),
        ],
      })
    const opted = instrument(make(), { activations: ['prelu'] })
    expect(opted.sites.map((s) => [s.id, s.activation, s.reads, s.positions])).toEqual([['tdp', 'prelu', 'input', 3]])
    opted.dispose()
    const plain = instrument(make(), { allowEmpty: true })
    expect(plain.skipped.map((s) => [s.id, s.reason])).toEqual([['tdp', 'wrapped']])
    plain.dispose()
  })

  test('a LeakyReLU of unknown channel axis takes a dataFormat by its site id', () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.dense({ inputShape: [6], units: 12 }),
        tfl.layers.reshape({ targetShape: [3, 4] }),
        tfl.layers.leakyReLU({ name: 'neg' }),
      ],
    })
    expect(() => instrument(model, { activations: ['leakyRelu'] })).toThrow(expect.objectContaining({ code: 'DATA_FORMAT_UNKNOWN' }))
    const probe = instrument(model, { activations: ['leakyRelu'], dataFormat: { neg: 'channelsFirst' } })
    expect(probe.sites[0]).toMatchObject({ units: 3, positions: 4 })
    probe.dispose()
  })

  test('graphs: a fused prelu is listed as skipped even when only prelu is asked for', () => {
    const model = graphModel({
      input: [-1, 6],
      consts: {
        w: { shape: [6, 5], values: numbers(30, 1) },
        b: { shape: [5], values: numbers(5, 2) },
        alpha: { shape: [5], values: numbers(5, 3) },
      },
      nodes: [
        {
          name: 'fp',
          op: '_FusedMatMul',
          input: ['x', 'w', 'b', 'alpha'],
          attr: { ...attrs.fused('BiasAdd', 'Prelu'), ...attrs.matmul(), num_args: { i: '2' } },
        },
        { name: 'p', op: 'Prelu', input: ['fp', 'alpha'] },
      ],
      outputs: ['p'],
    })
    const probe = instrument(model, { activations: ['prelu'] })
    expect(probe.sites.map((s) => s.id)).toEqual(['p'])
    expect(probe.skipped.map((s) => [s.id, s.reason])).toEqual([['fp', 'not-a-relu']])
    probe.dispose()
  })
})
