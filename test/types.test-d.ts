import { describe, expectTypeOf, test } from 'vitest'
import * as api from '../src/index.js'
import { type Metric, heatmap, lines } from '../src/vega/index.js'
import type { MeasureOptions, PatternHistogramResult, Probe, ProbeCallback, Reducer, SkippedSite, UnitStatsResult } from '../src/index.js'
import type { Declaration } from '../src/options.js'

describe('chart metrics', () => {
  test('a metric name is checked against what the timeline holds', () => {
    type T = api.Timeline<api.Results<api.DefaultReducers>>
    const timeline = null as unknown as T
    const ok = () => heatmap(timeline, { metric: 'patterns.normalizedEntropy' })
    const compared = () => lines(timeline, { metric: 'vsFinal.weightedJaccard' })
    // @ts-expect-error: no such field in patternHistogram's result
    const typo = () => heatmap(timeline, { metric: 'patterns.normalisedEntropy' })
    // @ts-expect-error: frequency is a per-unit array, not a scalar
    const array = () => lines(timeline, { metric: 'units.frequency' })
    expectTypeOf<Metric<api.Results<api.DefaultReducers>>>().toExtend<string>()
    void [ok, compared, typo, array]
  })
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

describe('option and result types', () => {
  test('trainingCallback is typed by the probe', () => {
    type P = Probe<{ u: ReturnType<typeof api.unitStats> }>
    expectTypeOf(api.trainingCallback<{ u: ReturnType<typeof api.unitStats> }>)
      .parameter(0)
      .toEqualTypeOf<P>()
    expectTypeOf(api.trainingCallback<{ u: ReturnType<typeof api.unitStats> }>).returns.toEqualTypeOf<
      ProbeCallback<{ u: ReturnType<typeof api.unitStats> }>
    >()
  })

  test('skipped sites and measure options', () => {
    expectTypeOf<Probe<Record<string, never>>['skipped']>().toEqualTypeOf<readonly SkippedSite[]>()
    expectTypeOf<SkippedSite['reason']>().toEqualTypeOf<'wrapped' | 'recurrent' | 'not-a-relu' | 'not-selected' | 'control-flow'>()
    // a typo in an options literal is a type error as well as a runtime one
    // @ts-expect-error unknown option
    const typo: MeasureOptions = { label: [1] }
    void typo
  })

  test('error codes are a closed union', () => {
    expectTypeOf<'NO_SITES_SELECTED'>().toMatchTypeOf<api.InstrumentErrorCode>()
    expectTypeOf<'DATA_FORMAT_UNKNOWN'>().toMatchTypeOf<api.InstrumentErrorCode>()
    // @ts-expect-error not a code
    expectTypeOf<'NOPE'>().toMatchTypeOf<api.InstrumentErrorCode>()
  })
})

describe('model kinds', () => {
  test('instrument takes a GraphModel from tfjs-converter without a cast', () => {
    type GraphModel = import('@tensorflow/tfjs-converter').GraphModel
    expectTypeOf<GraphModel>().toMatchTypeOf<Parameters<typeof api.instrument>[0]>()
    expectTypeOf<import('@tensorflow/tfjs-layers').LayersModel>().toMatchTypeOf<Parameters<typeof api.instrument>[0]>()
  })
})

describe('declared options', () => {
  test('a declaration names every key of its interface, no other, each with a check of its type', async () => {
    const { declareOptions, integer, string, boolean } = await import('../src/options.js')
    interface O {
      width?: number
      title?: string
    }
    const ok = /* @__PURE__ */ declareOptions(
      'f(options)',
      () =>
        ({
          width: { check: integer(1), default: 400 },
          title: { check: string },
        }) satisfies Declaration<O>,
    )
    expectTypeOf(ok.parse({})).toEqualTypeOf<{ width: number; title: string | undefined }>()
    const width = { check: integer(1) }
    // @ts-expect-error: title is not declared
    const missing = { width } satisfies Declaration<O>
    // @ts-expect-error: height is not a key of O
    const extra = { width, title: { check: string }, height: width } satisfies Declaration<O>
    // @ts-expect-error: title's check gives a boolean, not a string
    const wrong = { width, title: { check: boolean } } satisfies Declaration<O>
    void [missing, extra, wrong]
  })
})
