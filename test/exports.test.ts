import { describe, expect, expectTypeOf, test } from 'vitest'
import * as api from '../src/index.js'
import type { PatternHistogramResult, Probe, Reducer, UnitStatsResult } from '../src/index.js'

test('the public export list is pinned', () => {
  expect(Object.keys(api).sort()).toEqual([
    'InstrumentError',
    'Timeline',
    'binaryEntropy',
    'compare',
    'compareHistograms',
    'derive',
    'deserialize',
    'getBit',
    'hamming',
    'hammingDistance',
    'hammingMatrix',
    'hashWords',
    'histogramEntropy',
    'instrument',
    'layoutOf',
    'packChannelsFirst',
    'packRows',
    'patternHistogram',
    'popcount32',
    'saturationThreshold',
    'serialize',
    'splitBy',
    'unitStats',
    'windowed',
  ])
})

describe('types', () => {
  test('results are typed from the reducer record', () => {
    const mine: Reducer<number, { answer: 42 }> = {
      name: 'mine',
      init: () => 0,
      update: (s) => s,
      merge: (a, b) => a + b,
      result: () => ({ answer: 42 }),
    }
    type P = Probe<{ u: ReturnType<typeof api.unitStats>; h: ReturnType<typeof api.patternHistogram>; m: typeof mine }>
    type R = NonNullable<ReturnType<P['results']>[string]>
    expectTypeOf<R['u']>().toEqualTypeOf<UnitStatsResult>()
    expectTypeOf<R['h']>().toEqualTypeOf<PatternHistogramResult>()
    expectTypeOf<R['m']>().toEqualTypeOf<{ answer: 42 }>()
    // the default reducers when none are given
    const withDefaults = () => api.instrument(null as never)
    type D = NonNullable<ReturnType<ReturnType<typeof withDefaults>['results']>[string]>
    expectTypeOf<D['units']>().toEqualTypeOf<UnitStatsResult>()
    expectTypeOf<D['patterns']>().toEqualTypeOf<PatternHistogramResult>()
  })
})

test('the tfjs union package works too (one tfjs-core instance)', async () => {
  const tf = await import('@tensorflow/tfjs')
  await tf.setBackend('cpu')
  const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 5, activation: 'relu' })] })
  const probe = api.instrument(model)
  const x = tf.ones([2, 3])
  const r = await probe.measure(x)
  expect(r[probe.sites[0]!.id]!.units.rows).toBe(2)
  probe.dispose()
  x.dispose()
})
