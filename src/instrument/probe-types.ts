/* The Probe interface and the types of its results and states. */
import type { Measurement, RetainedPatterns } from '../compare/measurement.js'
import type { Reducer, ReducerMap, SiteResults, StateOf } from '../reducer.js'
import type { PatternHistogramResult, PatternHistogramState } from '../reducers/pattern-histogram.js'
import type { UnitStatsResult, UnitStatsState } from '../reducers/unit-stats.js'
import type { LayersModel } from '@tensorflow/tfjs-layers'
import type { GraphModelLike } from './sites/graph.js'
import type { MeasureInput } from './passes/forward.js'
import type { NetworkPart } from './sites/network.js'
import type { Site, SkippedSite } from './sites/layers.js'
import type { InstrumentOptions, MeasureOptions, MeasurePatternsOptions } from './options.js'
import type { SiteCounters } from './passes/store.js'

/** The reducers used when `instrument` is given none. */
export type DefaultReducers = {
  units: Reducer<UnitStatsState, UnitStatsResult>
  patterns: Reducer<PatternHistogramState, PatternHistogramResult>
}

/** Results of every site, keyed by site id. */
export type Results<M extends ReducerMap> = Record<string, SiteResults<M>>

/** Reducer states of every site, keyed by site id, for merging or saving. */
export type States<M extends ReducerMap> = Record<string, { [K in keyof M]: StateOf<M[K]> }>

/** A live instrumentation of one model; see `instrument`. */
export interface Probe<M extends ReducerMap> {
  /** The model this probe instruments. */
  readonly model: LayersModel | GraphModelLike
  /**
   * The options this probe was made with, its reducers included (frozen): enough to make
   * the same probe elsewhere, as the worker pools do.
   */
  readonly options: Readonly<InstrumentOptions<M>>
  /** The sites being recorded, in layer order. */
  readonly sites: readonly Site[]
  /**
   * With `network: true`, where each site's bits sit in the whole-network pattern (site
   * `network`, the last of `sites`), in order; otherwise null.
   */
  readonly network: readonly NetworkPart[] | null
  /** Every ReLU seen in the model that is not recorded, with the reason (wrapped, recurrent, leaky, not selected). */
  readonly skipped: readonly SkippedSite[]
  /** True once `dispose()` has run. */
  readonly disposed: boolean
  /**
   * Results of what the taps accumulated since creation or the last `reset()`; or, given
   * states (from `states()`, `measureStates()` or `mergeStates()`), the results of those.
   *
   * @example
   * ```ts
   * probe.results(probe.mergeStates(probe.states(), await probe.measureStates(extra)))
   * ```
   */
  results(states?: States<M>): Results<M>
  /**
   * A snapshot of the reducer states behind `results()`, for `merge` or saving: a deep
   * copy that later recording cannot change (it costs a copy of the states, O(distinct
   * patterns) for a histogram). States must be plain data; one that cannot be copied is
   * `INVALID_REDUCER`.
   */
  states(): States<M>
  /** Per-site counts of calls, recorded batches, rows and non-finite values. */
  counters(): Record<string, SiteCounters>
  /**
   * Resolves when every read in flight has been folded into the reducers. Needed only with
   * asynchronous reads (webgl, webgpu, or `read: 'async'`), before `results()` or `states()`.
   */
  flush(): Promise<void>
  /**
   * Starts the training stream afresh: new states, zero counters, no stored failure.
   * Reads still in flight from before land in the old stream; running measurements are
   * not affected.
   */
  reset(): void
  /**
   * One ordered forward pass over `x` into fresh state, in inference mode unless asked;
   * returns its results. The measurement holds exactly the forward calls it ran itself:
   * a `predict` by other code while it awaits a batch goes to the training stream, as it
   * would with no measurement running, and several measurements may run at once. The
   * training stream is left as it was. Rejects with `DISPOSED` if the probe is disposed
   * before it completes.
   */
  measure(x: MeasureInput, options?: MeasureOptions): Promise<Results<M>>
  /**
   * Like `measure`, and also keeps every row's packed pattern in input order and each
   * site's exact histogram: returns a {@link Measurement} (for `compare`, the indicators,
   * monitors and reports).
   *
   * @example
   * ```ts
   * const before = await probe.measurePatterns(xs)
   * await model.fit(trainXs, trainYs, { epochs: 1 })
   * const flips = compare(before, await probe.measurePatterns(xs))
   * ```
   */
  measurePatterns(x: MeasureInput, options?: MeasurePatternsOptions): Promise<Measurement<Results<M>>>
  /**
   * Like `measure`, into fresh state, but returns the reducer states instead of results:
   * parts of a dataset measured apart (in turn, on
   * other machines, or in worker threads with `measureInWorkers`) combine with
   * `mergeStates` into exactly the states of one measurement, as long as the parts are
   * cut at batch boundaries.
   *
   * @example
   * ```ts
   * const a = await probe.measureStates(firstHalf, { batchSize: 128 })
   * const b = await probe.measureStates(secondHalf, { batchSize: 128 })
   * const results = probe.results(probe.mergeStates(a, b)) // = await probe.measure(all, { batchSize: 128 })
   * ```
   */
  measureStates(x: MeasureInput, options?: MeasureOptions): Promise<States<M>>
  /**
   * The states of both inputs merged per site and reducer (neither changes): the states
   * of the two streams of passes one after the other. States missing a site or a
   * reducer of this probe are `INVALID_INPUT`.
   *
   * @example
   * ```ts
   * const total = probe.mergeStates(probe.states(), await probe.measureStates(extra))
   * ```
   */
  mergeStates(a: States<M>, b: States<M>): States<M>
  /**
   * Runs `fn` (which must run the model synchronously, e.g. `() => model.predict(x)`) as
   * a pass of its own, and returns what `fn` returned at once, with the patterns its
   * forward calls produced at every site (resolved after any asynchronous reads). Those
   * calls are not recorded into the training stream. A capture inside another capture
   * gets the rows of its own calls, and the one around it gets them too. Called inside a
   * `measure`'s own forward call, `fn` is part of that pass and the patterns resolve to
   * null. `fn` must be synchronous: an async function is `INVALID_INPUT`, and when `fn`
   * returns a promise its patterns reject with `INVALID_INPUT` (the calls after its first
   * `await` ran outside the capture). Patterns read as the pass ran (cpu, wasm) are whole
   * and resolve even if the probe is disposed before they are awaited; patterns still being
   * read from a device (webgl) when it is disposed reject with `DISPOSED`.
   *
   * @example
   * ```ts
   * const { value, patterns } = probe.capture(() => model.predict(x) as tf.Tensor)
   * const rows = (await patterns)[probe.sites[0]!.id]!.rows
   * ```
   */
  capture<T>(fn: () => T): { value: T; patterns: Promise<Record<string, RetainedPatterns> | null> }
  /** Removes every tap and restores the model exactly. Safe to call twice. */
  dispose(): void
}
