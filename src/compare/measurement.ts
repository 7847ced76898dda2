/* What `measurePatterns(x)` returns: results, every packed row and each site's histogram. */
import type { Layout } from '../reducer.js'
import type { PatternHistogramState } from '../reducers/pattern-histogram.js'

/** The packed patterns of one site over a measurement, every row in input order. */
export interface RetainedPatterns extends Layout {
  /** Patterns recorded (examples x positions, times graph nodes for a shared layer). */
  readonly rows: number
  /** Patterns per example. */
  readonly positions: number
  /** `rows * wordsPerRow` words, in the order the rows were recorded. */
  readonly words: Uint32Array
  /** Exact histogram of the same rows, as a `patternHistogram()` state. */
  readonly histogram: PatternHistogramState
  /** True for the whole-network site (`network: true`), whose rows concatenate the other sites'. */
  readonly network?: boolean
}

/**
 * A measurement that kept its patterns (`probe.measurePatterns(x)`): what
 * `compare` needs to follow the same inputs over time. Plain data: it survives
 * `structuredClone`, `postMessage` and `serialize`.
 */
export interface Measurement<Results> {
  /** Tag, so that stored data can be recognised. */
  readonly kind: 'measurement'
  /** Examples measured. */
  readonly examples: number
  /** Fingerprint of the input values, in order; equal inputs give equal fingerprints. */
  readonly inputs: string
  /** The reducers' results, as `measure` returns them. */
  readonly results: Results
  /** Per site id, the retained patterns. */
  readonly patterns: Record<string, RetainedPatterns>
  /** With `predictions: true`: per example, the index of the largest output (the predicted class). */
  readonly predictions?: Int32Array
  /** With `predictions: true`: the number of classes they are among (the width of the output they come from). */
  readonly classes?: number
  /** With `predictions: true`: the index of the model output they come from. */
  readonly output?: number
  /** With `values: true`: per site id, each example's activations averaged over the site's positions. */
  readonly values?: Record<string, ExampleValues>
}

/** Each example's activations at one site, averaged over its positions (a dense site's values as they are). */
export interface ExampleValues {
  readonly units: number
  readonly examples: number
  /** `examples * units` values, example by example. */
  readonly values: Float32Array
}
