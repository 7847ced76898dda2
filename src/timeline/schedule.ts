/* trainingCallback(): measuring during fit on a cadence, into a Timeline. */
import type { Tensor } from '@tensorflow/tfjs-core'
import { InstrumentError, reportUncaught } from '../errors.js'
import { isTensor, toLabels, type MeasureInput, type Probe, type Results } from '../instrument/index.js'
import { summarize } from '../metrics/summary.js'
import { type Declaration, boolean, check, declareOptions, either, fn, integer, later, oneOf } from '../options.js'
import type { ReducerMap } from '../reducer.js'
import { LOCAL_FIELDS, type LocalComplexityOptions, localComplexity } from '../regions/local.js'
import { Timeline, type TimelineEntry, type TimelineOptions, type TrainingPoint } from './timeline.js'

/**
 * The measurement protocol of Hartmann et al.'s reference implementation: every 0.2 epoch,
 * after every step during the first epoch, in training mode (batch statistics), 128
 * examples per pass. Spread it into the options with the probe set, which should be the
 * unaugmented training split or a fixed subset of it.
 *
 * @example
 * ```ts
 * const schedule = trainingCallback(probe, { ...hartmannProtocol, measure: trainXs.slice([0], [2000]) })
 * ```
 */
export const hartmannProtocol = Object.freeze({
  every: Object.freeze({ epochs: 0.2 }),
  early: Object.freeze({ epochs: 1 }),
  training: true,
  batchSize: 128,
} as const) satisfies Partial<ScheduleOptions<ReducerMap>>

/** When a schedule measures. */
export type Cadence = { batches: number } | { epochs: number }

/** Options of {@link trainingCallback}. */
export interface ScheduleOptions<M extends ReducerMap> {
  /** Measure every k training batches, or every fraction of an epoch (e.g. `{ epochs: 0.2 }`). */
  every: Cadence
  /**
   * Also measure after every training batch until this point (e.g. `{ epochs: 1 }`), for
   * the early phase of training, where patterns change fastest.
   */
  early?: Cadence
  /**
   * Measure the probe set in training mode: batch normalisation uses each batch's own
   * statistics, as Hartmann et al. measure; the moving statistics are restored after each
   * batch, so the trained model is unchanged (see `measure({ training })`). Dropout is
   * active too, which makes the patterns random where the model has dropout. Default false.
   */
  training?: boolean
  /** A fixed probe set measured at each point (in order, inference mode), kept in `timeline`. */
  measure?: MeasureInput
  /** Labels of the probe set, one per example (for H(A|L) and I(A;L)). */
  labels?: ArrayLike<number> | Tensor
  /** Batch size of the probe-set passes (default 128). */
  batchSize?: number
  /** Also record, at each point, what the taps accumulated since the last point (in `stream`), then reset them. */
  snapshot?: boolean
  /** Where probe-set measurements go; default a new `Timeline` with `keep`. */
  timeline?: Timeline<Results<M>>
  /** What the default timeline keeps (see `TimelineOptions.keep`). */
  keep?: TimelineOptions['keep']
  /** Batches per epoch, for `{ epochs }` cadence when fit cannot tell (custom loops, fitDataset without batchesPerEpoch). */
  stepsPerEpoch?: number
  /**
   * Also take the local complexity of these inputs at each point (see `localComplexity`),
   * into the entry's `localComplexity` and the series (site `network`, metric
   * `localComplexity`). Costs `lines` walks per input per point.
   */
  localComplexity?: Omit<LocalComplexityOptions, 'sites'> & { inputs: Tensor }
  /**
   * Print one line per point: `true` for `console.log`, or a function that takes the
   * line. The line gives the step (and epoch), then per site the normalised pattern
   * entropy and the dead units, where those reducers ran.
   */
  log?: boolean | ((line: string) => void)
  /** Called after each point is recorded. */
  onPoint?: (entry: TimelineEntry<Results<M>>) => void | Promise<void>
  /**
   * Where the points and `fit`'s loss and metrics also go, as they happen: a TensorBoard
   * event file (`tensorboardLog()` from `relu-patterns/tensorboard`), or any
   * {@link TrainingSink}.
   */
  tensorboard?: TrainingSink
  /** Where the points and `fit`'s logs also go for a live view: `liveLog({ dir })` from `relu-patterns/dashboard`, or any {@link TrainingSink}. */
  live?: TrainingSink
}

/**
 * Receives a schedule's points and `fit`'s logs as they happen (a TensorBoard file, a live
 * page). Calls come in the order things happen; a promise a sink returns is not waited for
 * before training goes on (a sink that writes keeps its writes in order itself), only at
 * the end of `fit`, which resolves once every sink's writes have settled: a sink whose
 * promise never settles holds `fit` at its end. A sink that fails is detached, and its
 * error reported once.
 */
export interface TrainingSink {
  /** A point was recorded: `entry` is the last of `timeline.entries` when the call is made (read it before any `await`). */
  point(entry: TimelineEntry, timeline: Timeline): void | Promise<void>
  /** `fit`'s logs (loss and metrics, numbers) at a step: after each batch, or at an epoch's end. */
  logs(step: number, logs: Readonly<Record<string, number>>, at: 'batch' | 'epoch'): void | Promise<void>
}

/** Training parameters as tfjs gives them to callbacks (`epochs`, `steps`, `samples`, `batchSize`, ...). */
export type FitParams = Record<string, unknown>

/**
 * A tfjs-layers callback that measures a probe set (and/or snapshots the taps) on a
 * schedule, including before the first training step. Pass it to `fit` / `fitDataset`,
 * alone or in an array with other callbacks: plain objects of handlers and tfjs-vis's
 * `fitCallbacks` in any order, and tfjs `Callback` instances
 * (`tf.callbacks.earlyStopping()`) placed before it (tfjs cannot take an instance after
 * a plain object). Its handlers are bound, so it works both as a callback instance and as
 * a plain object of handlers. In a custom loop call `onTrainBegin()`,
 * `onBatchEnd(i)` after each step and `onTrainEnd()` yourself.
 */
export interface ProbeCallback<M extends ReducerMap> {
  /** Probe-set measurements, one per point. */
  readonly timeline: Timeline<Results<M>>
  /** Snapshots of the accumulated training stream (with `snapshot: true`). */
  readonly stream: Timeline<Results<M>>
  /** Training batches seen so far (across fit calls). */
  readonly step: number
  /**
   * The error that stopped the schedule (a reducer failed, the probe was disposed), or
   * null. Training goes on; the schedule records no more points. An exception thrown by
   * `onPoint` is yours and rejects `fit` like any callback's.
   */
  readonly error: InstrumentError | null
  /** What tfjs sets on callback instances; unused here. */
  validationData: Tensor | Tensor[]
  /** The training parameters tfjs gave (`setParams`), or those of the model's current fit. */
  params: FitParams
  setParams(params: FitParams): void
  setModel(model: unknown): void
  onTrainBegin(logs?: Record<string, unknown>): Promise<void>
  onTrainEnd(logs?: Record<string, unknown>): Promise<void>
  onEpochBegin(epoch: number, logs?: Record<string, unknown>): Promise<void>
  onEpochEnd(epoch: number, logs?: Record<string, unknown>): Promise<void>
  onBatchBegin(batch: number, logs?: Record<string, unknown>): Promise<void>
  onBatchEnd(batch: number, logs?: Record<string, unknown>): Promise<void>
  /**
   * Sends the points and `fit`'s logs from now on to `sink` as well (a live view mounted
   * while training runs); returns the undo.
   */
  attach(sink: TrainingSink): () => void
}

const WHERE = 'trainingCallback(probe, options)'
const bad = (message: string): InstrumentError => new InstrumentError('INVALID_OPTION', `${WHERE}: ${message}`)

/** `{ batches: k }` with a positive integer k, or `{ epochs: f }` with f > 0, and no other key. */
function isCadence(every: unknown): boolean {
  if (typeof every !== 'object' || every === null || Object.getPrototypeOf(every) !== Object.prototype) return false
  const entries = Object.entries(every)
  if (entries.length !== 1) return false
  const [key, k] = entries[0]!
  return typeof k === 'number' && k > 0 && Number.isFinite(k) && (key === 'epochs' || (key === 'batches' && Number.isInteger(k)))
}
const cadence = /* @__PURE__ */ check<Cadence>('{ batches: k } with a positive integer k, or { epochs: f } with f > 0', isCadence, [
  'batches',
  'epochs',
])

const isSink = (s: unknown): s is TrainingSink =>
  typeof s === 'object' && s !== null && typeof (s as TrainingSink).point === 'function' && typeof (s as TrainingSink).logs === 'function'

/** A check of a {@link TrainingSink}. */
const sink = (expects: string) => /* @__PURE__ */ check<TrainingSink>(expects, isSink)

/** The declaration of {@link ScheduleOptions}. */
export const SCHEDULE_OPTIONS = /* @__PURE__ */ declareOptions(
  WHERE,
  () =>
    ({
      every: { check: cadence },
      early: { check: cadence },
      training: { check: boolean, default: false },
      measure: { check: later('a tensor, an array of tensors or a dataset') },
      labels: { check: later('one integer label per example') },
      batchSize: { check: integer(1) },
      snapshot: { check: boolean, default: false },
      timeline: { check: check('a Timeline', (t) => t instanceof Timeline) },
      keep: { check: oneOf(['results', 'histograms', 'patterns']) },
      stepsPerEpoch: { check: integer(1) },
      localComplexity: { check: later('the options of localComplexity with inputs') },
      log: { check: either(boolean, fn<(line: string) => void>()) },
      onPoint: { check: fn() },
      tensorboard: { check: sink('a TensorBoard log (tensorboardLog()) or an object with point() and logs()') },
      live: { check: sink('a live log (liveLog()) or an object with point() and logs()') },
    }) satisfies Declaration<ScheduleOptions<ReducerMap>>,
  { required: true },
)

/** The schedule's localComplexity: the function's options but the sites (the probe's make the pattern), with the inputs. */
const SCHEDULE_LOCAL = /* @__PURE__ */ declareOptions(
  `${WHERE}: localComplexity`,
  () =>
    ({
      ...LOCAL_FIELDS,
      batchSize: { check: integer(1) },
      inputs: { check: later('a tensor of probe inputs [n, ...inputShape]') },
    }) satisfies Declaration<ScheduleOptions<ReducerMap>['localComplexity'] & object>,
  { required: true },
)

/** Validates every option where it is given, before training starts. */
function checkSchedule<M extends ReducerMap>(probe: Probe<M>, options: ScheduleOptions<M>): void {
  if (typeof probe !== 'object' || probe === null || typeof (probe as Probe<M>).measure !== 'function') {
    throw new InstrumentError('INVALID_OPTION', `${WHERE} takes the probe returned by instrument(model) first.`)
  }
  if (probe.disposed) throw new InstrumentError('DISPOSED', `${WHERE}: the probe has been disposed. Instrument the model again.`)
  SCHEDULE_OPTIONS.parse(options)
  if (options.every === undefined) throw bad('every is required: { batches: k } or { epochs: f }.')
  if (options.measure === undefined && options.snapshot !== true && options.localComplexity === undefined) {
    throw bad('needs a probe set (`measure`), `snapshot: true`, `localComplexity`, or some of them.')
  }
  if (options.localComplexity !== undefined) {
    const lc = options.localComplexity as unknown as Record<string, unknown>
    // the probe's own sites make the pattern, so no sites option here
    SCHEDULE_LOCAL.parse(lc, `${WHERE}: localComplexity`)
    if (lc['radius'] === undefined) throw bad('localComplexity.radius is required, a positive number.')
    if (!isTensor(lc['inputs'])) throw bad('localComplexity.inputs must be a tensor of probe inputs [n, ...inputShape].')
    const inputs = lc['inputs'] as Tensor
    if (inputs.isDisposed) throw bad('localComplexity.inputs has been disposed; pass a live tensor.')
    checkProbeSet(probe.model, [inputs], 'localComplexity.inputs')
    if (!Array.from(inputs.dataSync()).every(Number.isFinite)) throw bad('localComplexity.inputs holds NaN or infinite values.')
  }
  if (options.measure !== undefined) {
    const m = options.measure as unknown
    const tensors = Array.isArray(m) ? m : [m]
    const isDataset = typeof (m as { iterator?: unknown })?.iterator === 'function'
    if (!isDataset && (tensors.length === 0 || !tensors.every(isTensor)))
      throw bad('measure must be a tensor, an array of tensors or a dataset.')
    if (!isDataset && (tensors as Tensor[]).some((t) => t.isDisposed))
      throw bad('measure has been disposed; pass a live tensor (the schedule measures it during fit).')
    if (!isDataset) checkProbeSet(probe.model, tensors as Tensor[])
  }
  if (options.labels !== undefined) {
    if (options.measure === undefined) throw bad('labels belong to the probe set; give `measure` too.')
    const labels = toLabels(options.labels, WHERE)
    const m = options.measure as unknown
    const first = (Array.isArray(m) ? m[0] : m) as Tensor | undefined
    if (isTensor(first) && labels.length !== first.shape[0]) {
      throw bad(`labels has ${labels.length} entries, and the probe set ${first.shape[0]} examples; give one label per example.`)
    }
  }
  if (options.keep !== undefined && options.timeline !== undefined)
    throw bad('give either timeline or keep (the kept detail of a new timeline), not both.')
}

/** Refuses, at the call, a probe set the model cannot take: another number of inputs, or a shape other than the model's (the batch aside). */
function checkProbeSet(model: object, tensors: readonly Tensor[], what = 'measure'): void {
  const inputs = (model as { inputs?: readonly { shape?: readonly (number | null)[] }[] }).inputs
  if (!Array.isArray(inputs)) return
  if (inputs.length !== tensors.length)
    throw bad(`${what} gives ${tensors.length} tensor${tensors.length === 1 ? '' : 's'}, and the model takes ${inputs.length} inputs.`)
  const batch = tensors[0]!.shape[0]
  tensors.forEach((t, k) => {
    const want = inputs[k]!.shape
    if (want === undefined) return
    const fits = t.shape.length === want.length && t.shape.every((d, i) => i === 0 || want[i] === null || want[i] === -1 || want[i] === d)
    if (!fits)
      throw bad(
        `${what}${tensors.length > 1 ? `[${k}]` : ''} has shape [${t.shape.join(', ')}], and the model takes [${want.map((d: number | null) => (d === null || d === -1 ? 'n' : d)).join(', ')}].`,
      )
    if (t.shape[0] !== batch)
      throw bad(`the tensors of ${what} have ${batch} and ${t.shape[0]} examples; give the same number for every input.`)
  })
}

/**
 * A tfjs callback that measures a probe set (and/or snapshots the taps) every k batches
 * or every fraction of an epoch, and at the very start and end of training, into a
 * `Timeline`. Every option is checked here, at the call, not when `fit` starts.
 *
 * @example
 * ```ts
 * const schedule = trainingCallback(probe, { every: { epochs: 0.2 }, measure: probeXs })
 * await model.fit(xs, ys, { epochs: 3, callbacks: [schedule] })
 * schedule.timeline.toCSV({ against: ['first', 'final'] })
 * ```
 */
export function trainingCallback<M extends ReducerMap>(probe: Probe<M>, options: ScheduleOptions<M>): ProbeCallback<M> {
  checkSchedule(probe, options)
  const timeline = options.timeline ?? new Timeline<Results<M>>(options.keep === undefined ? {} : { keep: options.keep })
  return new Schedule(probe, options, timeline)
}

/** One line for a point: the step, then per site normalised entropy and dead units where known. */
export function logLine(entry: TimelineEntry<Record<string, Record<string, unknown>>>): string {
  const at = `step ${entry.step}${entry.epoch === undefined ? '' : ` (epoch ${entry.epoch.toFixed(2)})`}`
  const sites = summarize(entry.results).map((r) => {
    const parts = [
      r.normalizedEntropy === null ? null : `H/Hmax ${r.normalizedEntropy.toFixed(3)}`,
      r.dead === null ? null : `dead ${r.dead}/${r.units}`,
    ].filter((p) => p !== null)
    return `${r.site} ${parts.join(' ')}`
  })
  const lc = entry.localComplexity === undefined ? '' : ` | local complexity ${entry.localComplexity.mean.toFixed(2)}`
  return `${at}: ${sites.join(' | ')}${lc}`
}

/**
 * The callback behind {@link trainingCallback}. Not a subclass of tfjs's `Callback`: tfjs
 * keeps an array as it is only when its first element is a `Callback` instance, and wraps
 * every element as a plain object of handlers otherwise. This object is both: it has the
 * methods tfjs calls on instances, and its handlers are bound own properties, so they keep
 * their `this` when tfjs calls them from a wrapper. Wrapped, it is not given the training
 * parameters: it reads them from the model's history, which tfjs sets before training.
 */
class Schedule<M extends ReducerMap> implements ProbeCallback<M> {
  readonly stream = new Timeline<Results<M>>({ keep: 'results' })
  error: InstrumentError | null = null
  step = 0
  validationData: Tensor | Tensor[] = []
  private given: FitParams | null = null
  private examples = 0
  private epochStart = 0
  private stepsPerEpoch: number | undefined
  private lastPoint = -1

  constructor(
    private readonly probe: Probe<M>,
    private readonly options: ScheduleOptions<M>,
    readonly timeline: Timeline<Results<M>>,
  ) {
    this.stepsPerEpoch = options.stepsPerEpoch
    for (const s of [options.tensorboard, options.live]) if (s !== undefined) this.sinks.add(s)
  }

  get params(): FitParams {
    return this.given ?? this.fitParams ?? {}
  }

  /** Parameters of the running fit read from the model's history (when tfjs wraps the schedule and gives none). */
  private fitParams: FitParams | null = null

  /**
   * The parameters of the fit starting now, from the instrumented model's history: only a
   * history tfjs has just made for this fit (it has no epochs yet), never one left by an
   * earlier fit, or by the fit of another model.
   */
  private freshParams(): FitParams | null {
    type History = { params?: FitParams; epoch?: unknown }
    // a Sequential fits through its inner model, whose history holds the parameters
    const m = this.probe.model as { history?: History; model?: { history?: History } }
    const h = m.history ?? m.model?.history
    return h !== undefined && h.epoch === undefined && h.params !== undefined ? h.params : null
  }

  set params(params: FitParams) {
    this.given = params
  }

  readonly setParams = (params: FitParams): void => {
    this.given = params
  }

  readonly setModel = (_model: unknown): void => undefined

  /** Where points and logs also go: the options' sinks, and those attached since. */
  private readonly sinks = new Set<TrainingSink>()

  readonly attach = (sink: TrainingSink): (() => void) => {
    if (!isSink(sink)) throw bad('attach(sink) takes a sink: an object with point() and logs() (liveLog(), tensorboardLog()).')
    this.sinks.add(sink)
    return () => {
      this.sinks.delete(sink)
    }
  }

  private spe(): number | undefined {
    return this.stepsPerEpoch ?? (this.params['steps'] as number | undefined) ?? this.fromSamples()
  }

  private interval(): number | undefined {
    const every = this.options.every
    if ('batches' in every) return every.batches
    const spe = this.spe()
    return spe === undefined ? undefined : Math.max(1, Math.round(every.epochs * spe))
  }

  private fromSamples(): number | undefined {
    const samples = this.params['samples'] as number | undefined
    const batchSize = this.params['batchSize'] as number | undefined
    return samples !== undefined && batchSize !== undefined && samples > 0 ? Math.ceil(samples / batchSize) : undefined
  }

  private async point(label?: string): Promise<void> {
    if (this.lastPoint === this.step || this.error !== null) return
    this.lastPoint = this.step
    const spe = this.spe()
    const at = {
      step: this.step,
      examples: this.examples,
      ...(spe === undefined ? {} : { epoch: this.step / spe }),
      ...(label === undefined ? {} : { label }),
    }
    let entry: TimelineEntry<Results<M>> | undefined
    try {
      entry = await this.record(at)
    } catch (error) {
      // a failing reducer or a disposed probe stops the schedule, never the training
      if (!(error instanceof InstrumentError)) throw error
      this.error = error
      return
    }
    if (entry !== undefined) {
      const log = this.options.log
      if (log !== undefined && log !== false) (log === true ? console.log : log)(logLine(entry))
      await this.options.onPoint?.(entry)
    }
    // a snapshot-only schedule shows its snapshots
    const shown = entry ?? this.stream.entries.at(-1)
    const from = entry !== undefined ? this.timeline : this.stream
    if (shown !== undefined && shown.step === this.step) this.toSinks((s) => s.point(shown as TimelineEntry, from as unknown as Timeline))
  }

  /**
   * Runs `send` on every sink, in the order points and logs happen, without waiting for
   * what a sink writes: disk and network stay off the training loop until `fit` ends,
   * where `onTrainEnd` waits for every write. A sink that fails (a full disk, a throwing
   * listener) is detached and its error reported (`reportError` where the runtime has it):
   * a view of training never stops training.
   */
  private toSinks(send: (sink: TrainingSink) => void | Promise<void>): void {
    const failed = (sink: TrainingSink, error: unknown): void => {
      this.sinks.delete(sink)
      // calls made before its first failure landed fail too: one report per sink
      if (this.failed.has(sink)) return
      this.failed.add(sink)
      reportUncaught(error)
    }
    for (const sink of [...this.sinks]) {
      try {
        const sent = send(sink)
        if (typeof (sent as Promise<void> | undefined)?.then === 'function') {
          const settled: Promise<void> = Promise.resolve(sent).then(
            () => void this.writing.delete(settled),
            (error: unknown) => {
              this.writing.delete(settled)
              failed(sink, error)
            },
          )
          this.writing.add(settled)
        }
      } catch (error) {
        failed(sink, error)
      }
    }
  }

  /** What the sinks are still writing. */
  private readonly writing = new Set<Promise<void>>()
  /** Sinks detached for failing, whose later failures are not reported again. */
  private readonly failed = new WeakSet<TrainingSink>()

  private async record(at: TrainingPoint): Promise<TimelineEntry<Results<M>> | undefined> {
    const { probe, options } = this
    if (options.snapshot === true) {
      await probe.flush()
      this.stream.add(at, probe.results())
      probe.reset()
    }
    const lc = options.localComplexity === undefined ? undefined : await this.complexity(options.localComplexity)
    if (options.measure === undefined) {
      if (lc === undefined) return undefined
      const entry = this.timeline.add(at, {} as Results<M>)
      entry.localComplexity = lc
      return entry
    }
    const o = {
      batchSize: options.batchSize ?? 128,
      training: options.training === true,
      ...(options.labels === undefined ? {} : { labels: options.labels }),
    }
    const measured =
      this.timeline.keep !== 'results' ? await probe.measurePatterns(options.measure, o) : await probe.measure(options.measure, o)
    const entry = this.timeline.add(at, measured)
    if (lc !== undefined) entry.localComplexity = lc
    return entry
  }

  private async complexity({
    inputs,
    ...rest
  }: Omit<LocalComplexityOptions, 'sites'> & { inputs: Tensor }): Promise<NonNullable<TimelineEntry['localComplexity']>> {
    const { mean, perInput, radius, lines } = await localComplexity(this.probe.model, inputs, rest)
    return { mean, perInput, radius, lines }
  }

  readonly onTrainBegin = async (): Promise<void> => {
    this.fitParams = this.given === null ? this.freshParams() : null
    if (this.step === 0) await this.point('init')
  }

  readonly onEpochBegin = async (): Promise<void> => {
    this.epochStart = this.step
  }

  readonly onBatchBegin = async (): Promise<void> => undefined

  readonly onBatchEnd = async (_batch: number, logs?: Record<string, unknown>): Promise<void> => {
    this.step++
    if (this.sinks.size > 0 && logs !== undefined) {
      // resolved numbers only: a scalar tensor here would cost a device read per batch
      const numbers = Object.fromEntries(
        Object.entries(logs).filter((e): e is [string, number] => typeof e[1] === 'number' && e[0] !== 'batch' && e[0] !== 'size'),
      )
      if (Object.keys(numbers).length > 0) this.toSinks((s) => s.logs(this.step, numbers, 'batch'))
    }
    this.examples += typeof logs?.['size'] === 'number' ? (logs['size'] as number) : 0
    const k = this.interval()
    if ((k !== undefined && this.step % k === 0) || this.inEarlyPhase()) await this.point()
  }

  /** True while the `early` option asks for a measurement after every batch. */
  private inEarlyPhase(): boolean {
    const early = this.options.early
    if (early === undefined) return false
    if ('batches' in early) return this.step <= early.batches
    const spe = this.spe()
    // an epoch of unknown length is still the early phase: measure until its end says how long it is
    return spe === undefined || this.step <= Math.round(early.epochs * spe)
  }

  readonly onEpochEnd = async (_epoch?: number, logs?: Record<string, unknown>): Promise<void> => {
    if (this.sinks.size > 0 && logs !== undefined) {
      const numbers: Record<string, number> = {}
      for (const [key, v] of Object.entries(logs)) {
        if (typeof v === 'number') numbers[key] = v
        else if (typeof (v as { data?: unknown } | null)?.data === 'function')
          numbers[key] = ((await (v as Tensor).data()) as Float32Array)[0]!
      }
      if (Object.keys(numbers).length > 0) this.toSinks((s) => s.logs(this.step, numbers, 'epoch'))
    }
    if (this.stepsPerEpoch === undefined && this.params['steps'] == null && this.fromSamples() === undefined) {
      // an epoch of unknown length (a dataset without size) has just told its length
      this.stepsPerEpoch = this.step - this.epochStart
      const k = this.interval()
      if (k !== undefined && this.step % k === 0) await this.point()
    }
  }

  readonly onTrainEnd = async (): Promise<void> => {
    await this.point('end')
    // fit resolves once what the sinks write is written (the last point, its logs)
    while (this.writing.size > 0) await Promise.all([...this.writing])
    // parameters belong to one fit
    this.given = null
    this.fitParams = null
  }
}
