/* The door of the instrumentation room: everything other folders may use of it, and nothing else. */

// Making and using a probe
export { instrument, modelAndProbe, modelSites, probeOf } from './probe.js'
export type { DefaultReducers, Probe, Results, States } from './probe-types.js'
export {
  MEASURE_OPTIONS,
  type InstrumentOptions,
  type MeasureOptions,
  type MeasurePatternsOptions,
  type Passes,
  outputChoice,
} from './options.js'
export type { SiteCounters } from './passes/store.js'

// What is recorded: sites, their kinds, and the whole-network site
export type { ActivationKind, DataFormat, Granularity, ReluKind, Site, SkippedSite, SkipReason } from './sites/layers.js'
export { ACTIVATION_KINDS } from './sites/kinds.js'
export { type GraphModelLike, isGraphModel } from './sites/graph.js'
export { type NetworkPart, joinPatterns, networkSite } from './sites/network.js'
export { convexity } from './sites/piecewise.js'
export { isLayersModel } from './taps/layers.js'

// How passes run: inputs, batches and labels
export { type DatasetLike, type MeasureInput, isTensor } from './passes/forward.js'
export { outputIndex, outputNames, predictedClasses, signatureWidth, sitesOfOutput } from './passes/outputs.js'
export { toLabels } from './passes/session.js'
