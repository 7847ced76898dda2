// Instrumenting models
export { instrument } from './instrument/probe.js'
export type {
  DefaultReducers,
  MeasureOptions,
  Probe,
  Results,
  SiteCounters,
  States,
} from './instrument/probe-types.js'
export type { InstrumentOptions, Passes } from './instrument/options.js'
export type { Granularity, ReluKind, Site } from './instrument/sites.js'
export type { DatasetLike, MeasureInput } from './instrument/measure.js'

// Reducers
export { unitStats, binaryEntropy } from './reducers/unit-stats.js'
export type { UnitStatsResult, UnitStatsState } from './reducers/unit-stats.js'
export { patternHistogram, histogramEntropy } from './reducers/pattern-histogram.js'
export type {
  PatternHistogramOptions,
  PatternHistogramResult,
  PatternHistogramState,
} from './reducers/pattern-histogram.js'

// The reducer contract
export { layoutOf } from './reducer.js'
export type {
  AnyReducer,
  Layout,
  PackedBatch,
  Reducer,
  ReducerMap,
  ResultOf,
  SiteResults,
  StateOf,
} from './reducer.js'

// Bits
export { packRows, packChannelsFirst, getBit } from './bits/pack.js'
export { popcount32, hammingDistance } from './bits/popcount.js'
export { hashWords } from './bits/hash.js'

// Errors
export { InstrumentError } from './errors.js'
export type { InstrumentErrorCode, InstrumentErrorDetails } from './errors.js'
