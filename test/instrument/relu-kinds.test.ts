import { beforeAll, describe, expect, test } from 'vitest'
import { instrument } from '../../src/index.js'
import { collect, signRows, tf, tfl, unpackRows, useCpu } from '../helpers/tf.js'

beforeAll(useCpu)

describe('the unit axis of a standalone ReLU is the channel axis of the data it gets', () => {
  const channelsFirst = (after: 'relu' | 'activation' | 'bn-relu') => {
    const layers = [tfl.layers.conv2d({ inputShape: [3, 5, 6], filters: 4, kernelSize: 1, dataFormat: 'channelsFirst', name: 'conv' })]
    if (after === 'bn-relu') layers.push(tfl.layers.batchNormalization({ axis: 1 }) as never)
    layers.push(
      (after === 'activation' ? tfl.layers.activation({ activation: 'relu', name: 'act' }) : tfl.layers.reLU({ name: 'act' })) as never,
    )
    return tfl.sequential({ layers })
  }

  test.each(['relu', 'activation', 'bn-relu'] as const)(
    'after a channelsFirst conv (%s): 4 channel units at 30 positions, equal to brute force',
    async (after) => {
      const model = channelsFirst(after)
      const probe = instrument(model, { reducers: { bits: collect() } })
      const site = probe.sites.find((s) => s.id === 'act')!
      expect(site).toMatchObject({ units: 4, positions: 30, dataFormat: 'channelsFirst' })
      const x = tf.randomNormal([2, 3, 5, 6], 0, 1, 'float32', 4)
      const bits = (await probe.measure(x))['act']!.bits
      const y = model.predict(x) as tf.Tensor
      const last = tf.transpose(y, [0, 2, 3, 1])
      expect(unpackRows(bits)).toEqual(signRows(last.dataSync(), 4))
      tf.dispose([x, y, last])
      probe.dispose()
    },
  )

  test('when it cannot be known (after a Reshape), DATA_FORMAT_UNKNOWN says how to give it; the option settles it', async () => {
    const make = () =>
      tfl.sequential({
        layers: [
          tfl.layers.dense({ inputShape: [6], units: 12 }),
          tfl.layers.reshape({ targetShape: [3, 4] }),
          tfl.layers.reLU({ name: 'r' }),
        ],
      })
    let error: unknown
    try {
      instrument(make())
    } catch (e) {
      error = e
    }
    expect(error).toMatchObject({ code: 'DATA_FORMAT_UNKNOWN', site: 'r' })
    expect((error as Error).message).toContain('dataFormat: { "r": \'channelsLast\' }')
    for (const [format, units] of [
      ['channelsLast', 4],
      ['channelsFirst', 3],
    ] as const) {
      const model = make()
      const probe = instrument(model, { dataFormat: { r: format }, reducers: { bits: collect() } })
      expect(probe.sites[0]).toMatchObject({ units, dataFormat: format })
      const x = tf.randomNormal([2, 6], 0, 1, 'float32', 8)
      const bits = (await probe.measure(x))['r']!.bits
      const y = model.predict(x) as tf.Tensor
      const rows = format === 'channelsLast' ? y : tf.transpose(y, [0, 2, 1])
      expect(unpackRows(bits)).toEqual(signRows(rows.dataSync(), units))
      tf.dispose([x, y, rows])
      probe.dispose()
    }
    // granularity 'example' does not need an axis
    instrument(make(), { granularity: 'example' }).dispose()
    // a dataFormat naming a convolution, or no site at all, is an error
    const convRelu = tfl.sequential({
      layers: [tfl.layers.conv2d({ inputShape: [3, 5, 6], filters: 4, kernelSize: 1, activation: 'relu', name: 'conv' })],
    })
    expect(() => instrument(convRelu, { dataFormat: { conv: 'channelsLast' } })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    )
    expect(() => instrument(make(), { dataFormat: { nope: 'channelsLast' } })).toThrow(expect.objectContaining({ code: 'UNKNOWN_SITE' }))
  })
})

describe('what is not recorded is listed in probe.skipped', () => {
  test('Bidirectional and recurrent ReLUs, and leaky variants, each with a reason (TimeDistributed(Dense relu) is a site)', () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.timeDistributed({
          inputShape: [3, 4],
          layer: tfl.layers.dense({ units: 5, activation: 'relu', name: 'inner' }),
          name: 'td',
        }),
        tfl.layers.bidirectional({
          layer: tfl.layers.simpleRNN({
            units: 2,
            activation: 'relu',
            returnSequences: true,
            recurrentInitializer: 'glorotUniform',
          }) as never,
          name: 'bi',
        }),
        tfl.layers.lstm({ units: 3, activation: 'relu', returnSequences: true, name: 'lstm', recurrentInitializer: 'glorotUniform' }),
        tfl.layers.gru({ units: 3, name: 'gru', recurrentInitializer: 'glorotUniform' }),
        tfl.layers.leakyReLU({ name: 'leaky' }),
        tfl.layers.dense({ units: 4, activation: 'relu', name: 'dense' }),
      ],
    })
    const probe = instrument(model)
    expect(probe.sites.map((s) => s.id)).toEqual(['td', 'dense'])
    expect(probe.skipped.map((s) => [s.id, s.reason])).toEqual([
      ['bi', 'wrapped'],
      ['lstm', 'recurrent'],
      ['leaky', 'not-a-relu'],
    ])
    for (const s of probe.skipped) expect(s.detail.length).toBeGreaterThan(20)
    probe.dispose()
  })

  test('a model whose only ReLUs cannot be recorded says so in NO_RELU_SITES', () => {
    const inner = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [4], units: 5, activation: 'relu' })] })
    const model = tfl.sequential({ layers: [tfl.layers.timeDistributed({ inputShape: [3, 4], layer: inner as never, name: 'td' })] })
    expect(() => instrument(model)).toThrow(
      expect.objectContaining({
        code: 'NO_RELU_SITES',
        message: expect.stringContaining('td (wrapped)'),
        skipped: [expect.objectContaining({ id: 'td', reason: 'wrapped' })],
      }),
    )
    expect(instrument(model, { allowEmpty: true }).skipped).toHaveLength(1)
  })

  test('an empty selection is NO_SITES_SELECTED, not "no ReLU"; deselected sites are listed as not-selected', () => {
    const make = () =>
      tfl.sequential({
        layers: [
          tfl.layers.dense({ inputShape: [3], units: 4, activation: 'relu', name: 'a' }),
          tfl.layers.dense({ units: 4, activation: 'relu', name: 'b' }),
        ],
      })
    expect(() => instrument(make(), { sites: [] })).toThrow(expect.objectContaining({ code: 'NO_SITES_SELECTED' }))
    expect(() => instrument(make(), { sites: () => false })).toThrow(expect.objectContaining({ code: 'NO_SITES_SELECTED' }))
    const probe = instrument(make(), { sites: ['b'] })
    expect(probe.skipped).toEqual([expect.objectContaining({ id: 'a', reason: 'not-selected' })])
    probe.dispose()
  })
})

describe('normalisation does not decide the channel axis; wrapped models are looked into', () => {
  test.each(['layerNormalization', 'batchNormalization'] as const)(
    '%s (default axis) after a channelsFirst conv: the conv decides',
    (norm) => {
      const model = tfl.sequential({
        layers: [
          tfl.layers.conv2d({ inputShape: [3, 5, 7], filters: 4, kernelSize: 1, dataFormat: 'channelsFirst' }),
          tfl.layers[norm]({}),
          tfl.layers.reLU({ name: 'act' }),
        ],
      })
      const probe = instrument(model)
      expect(probe.sites[0]).toMatchObject({ id: 'act', units: 4, positions: 35, dataFormat: 'channelsFirst' })
      probe.dispose()
    },
  )

  test('a model inside TimeDistributed with a ReLU is listed as wrapped', () => {
    const inner = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [4], units: 3, activation: 'relu' })] })
    const model = tfl.sequential({
      layers: [tfl.layers.timeDistributed({ inputShape: [2, 4], layer: inner as never, name: 'td' }), tfl.layers.reLU({ name: 'r' })],
    })
    const probe = instrument(model, { dataFormat: 'channelsLast' })
    expect(probe.skipped.map((s) => [s.id, s.reason])).toEqual([['td', 'wrapped']])
    probe.dispose()
  })
})

describe('TimeDistributed', () => {
  test('TimeDistributed(Dense relu) and TimeDistributed(Conv2D relu6) are sites: time steps (and positions) are positions; bits equal brute force', async () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.timeDistributed({
          inputShape: [3, 4, 4, 2],
          layer: tfl.layers.conv2d({ filters: 5, kernelSize: 3, activation: 'relu6' }),
          name: 'tdc',
        }),
        tfl.layers.timeDistributed({ layer: tfl.layers.flatten(), name: 'flat' }),
        tfl.layers.timeDistributed({ layer: tfl.layers.dense({ units: 7, activation: 'relu' }), name: 'tdd' }),
      ],
    })
    const probe = instrument(model, { reducers: { bits: collect() } })
    expect(probe.sites.map(({ id, units, positions, activation }) => ({ id, units, positions, activation }))).toEqual([
      { id: 'tdc', units: 5, positions: 3 * 2 * 2, activation: 'relu6' },
      { id: 'tdd', units: 7, positions: 3, activation: 'relu' },
    ])
    expect(probe.skipped).toEqual([])
    const x = tf.randomNormal([2, 3, 4, 4, 2], 0, 1, 'float32', 12)
    const r = await probe.measure(x)
    const conv = tfl.model({ inputs: model.inputs, outputs: model.getLayer('tdc').output as never }).predict(x) as tf.Tensor
    const dense = model.predict(x) as tf.Tensor
    expect(unpackRows(r['tdc']!.bits)).toEqual(signRows(conv.dataSync(), 5))
    expect(unpackRows(r['tdd']!.bits)).toEqual(signRows(dense.dataSync(), 7))
    tf.dispose([x, conv, dense])
    probe.dispose()
  })
})
