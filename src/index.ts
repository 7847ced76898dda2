/* The relu-patterns entry: every public export of the core, by name, grouped by what it is for. */

// Instrumenting models
export { instrument, probeOf } from './instrument/index.js'
export type {
  DefaultReducers,
  MeasureOptions,
  Probe,
  Results,
  SiteCounters,
  States,
} from './instrument/index.js'
export type { InstrumentOptions, MeasurePatternsOptions, Passes } from './instrument/index.js'
export type { ActivationKind, DataFormat, Granularity, ReluKind, Site, SkippedSite, SkipReason } from './instrument/index.js'
export type { DatasetLike, MeasureInput } from './instrument/index.js'
export type { GraphModelLike } from './instrument/index.js'
export type { NetworkPart } from './instrument/index.js'

// Reducers
export { unitStats, binaryEntropy } from './reducers/unit-stats.js'
export type { UnitStatsResult, UnitStatsState } from './reducers/unit-stats.js'
export { patternHistogram, histogramEntropy } from './reducers/pattern-histogram.js'
export type {
  PatternHistogramOptions,
  PatternHistogramResult,
  PatternHistogramState,
} from './reducers/pattern-histogram.js'

export { dormant } from './reducers/dormant.js'
export type { DormantOptions, DormantResult, DormantState } from './reducers/dormant.js'
export { coverage, totalCoverage } from './reducers/coverage.js'
export type { CoverageOptions, CoverageResult, CoverageState } from './reducers/coverage.js'

export { hamming } from './reducers/hamming.js'
export type { HammingOptions, HammingResult, HammingState } from './reducers/hamming.js'

// Comparing measurements
export { compare } from './compare/compare.js'
export type { Comparison } from './compare/compare.js'
export { compareHistograms } from './compare/histograms.js'
export type { HistogramComparison, HistogramComparisonOptions } from './compare/histograms.js'
export { hammingMatrix } from './compare/hamming-matrix.js'
export type { HammingMatrix, PackedRows } from './compare/hamming-matrix.js'
export type { ExampleValues, Measurement, RetainedPatterns } from './compare/measurement.js'
export { summarize } from './metrics/summary.js'
export type { SiteSummary } from './metrics/summary.js'

// The metric catalogue
export { METRICS, metricInfo } from './metrics/catalogue.js'
export type { MetricInfo, ResultKind } from './metrics/catalogue.js'

// Published indicators
export { naswot } from './indicators/naswot.js'
export type { NaswotOptions, NaswotResult } from './indicators/naswot.js'
export { oui } from './indicators/oui.js'
export type { OuiResult } from './indicators/oui.js'
export { regionCount } from './indicators/region-count.js'
export type { RegionCountResult } from './indicators/region-count.js'
export type { IndicatorOptions } from './indicators/examples.js'

// Composing reducers
export { derive } from './compose/derive.js'
export type { DerivedState } from './compose/derive.js'
export { splitBy } from './compose/split-by.js'
export type { RowKey, SplitState } from './compose/split-by.js'
export { windowed } from './compose/windowed.js'
export type { WindowState } from './compose/windowed.js'

// Watching training
export { Timeline } from './timeline/timeline.js'
export type { Reference, SeriesOptions, SeriesRow, TimelineEntry, TimelineOptions, TrainingPoint } from './timeline/timeline.js'
export type { UnitDeath, UnitRow } from './timeline/units.js'
export { hartmannProtocol, trainingCallback } from './timeline/schedule.js'
export type { Cadence, FitParams, ProbeCallback, ScheduleOptions, TrainingSink } from './timeline/schedule.js'

// Linear regions
export { regionsAlong } from './regions/along.js'
export type { AlongOptions, AlongResult } from './regions/along.js'
export { regionMap } from './regions/map.js'
export type { RegionMap, RegionMapOptions } from './regions/map.js'
export { regionMapSvg, regionColor } from './regions/picture.js'
export type { RegionSvgOptions } from './regions/picture.js'
export { evaluateDetectors, evaluateScores, logitScores } from './monitor/evaluate.js'
export type { EvaluateOptions, LogitScore, ScoreEvaluation, ScoreFunction, WithInterval } from './monitor/evaluate.js'
export { type FeatureOptions, featuresOf, measureFeatures } from './monitor/features.js'
export type { Features } from './monitor/features.js'
export { mahalanobisFit, mahalanobisScores, mergeMahalanobis } from './monitor/mahalanobis.js'
export type { MahalanobisDetector } from './monitor/mahalanobis.js'
export { knnFit, knnScores, mergeKnn } from './monitor/knn.js'
export type { KnnDetector } from './monitor/knn.js'
export { mergeNap, napFit, napScores } from './monitor/nap.js'
export { napThresholds } from './monitor/nap-thresholds.js'
export type { NapDetector, NapOptions } from './monitor/nap.js'
export { localComplexity } from './regions/local.js'
export type { LocalComplexityOptions, LocalComplexityResult } from './regions/local.js'
export type { PolytopeComplexityOptions, PolytopeComplexityResult, PolytopeSite } from './regions/polytope.js'
export type { RegionTarget, SamplerOptions } from './regions/sampler.js'

// Runtime monitoring
export { Monitor } from './monitor/monitor.js'
export { buildMonitor } from './monitor/build.js'
export type { ExampleCheck, SiteCheck } from './monitor/monitor.js'
export type { MonitorOptions } from './monitor/build.js'
export type { MonitoredSite } from './monitor/pattern-sets.js'

// Saving and merging
export { serialize, serializeBinary, serializeBinaryParts, deserialize } from './serialize/index.js'

// The reducer contract
export { layoutOf } from './reducer.js'
export type {
  AnyReducer,
  Layout,
  PackedBatch,
  Reducer,
  ReducerSpec,
  ReducerMap,
  ResultOf,
  SiteResults,
  StateOf,
} from './reducer.js'

// Bits
export { packRows, packChannelsFirst, getBit, saturationThreshold, wordsFor } from './bits/pack.js'
export { popcount32, hammingDistance } from './bits/popcount.js'
export { hashWords } from './bits/hash.js'
export { hammingIndex, nearestPattern } from './bits/hamming-index.js'
export type { HammingIndex } from './bits/hamming-index.js'

// Errors
export { InstrumentError } from './errors.js'
export type { InstrumentErrorCode, InstrumentErrorDetails } from './errors.js'
