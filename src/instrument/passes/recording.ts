/* The recording machinery behind a probe: taps, the training stream, the reader, pass ownership. */
import type { Tensor } from '@tensorflow/tfjs-core'
import type { Measurement, RetainedPatterns } from '../../compare/measurement.js'
import { JUPYTER_DISPLAY, measurementBundle } from '../../draw/notebook.js'
import { InstrumentError, reportUncaught } from '../../errors.js'
import { Reader } from '../../record/reader.js'
import type { Group, Source } from '../taps/layers.js'
import { type MeasureInput, type RunnableModel, forEachBatch, forward, forwardAsync, isTensor } from './forward.js'
import { outputIndex, predictedClasses } from './outputs.js'
import type { NetworkPart } from '../sites/network.js'
import { MEASURE_OPTIONS, MEASURE_PATTERNS_OPTIONS, type ResolvedOptions } from '../options.js'
import { Passes } from './owner.js'
import { MeasureSession, toLabels } from './session.js'
import type { Site } from '../sites/layers.js'
import { type ReducerSet, Stream } from './store.js'

interface Measured {
  batchSize: number
  training: boolean
  labels: Int32Array | null
  retain: boolean
  predictions: boolean
  values: boolean
  output: number | string | undefined
}

function measureOptions(o: unknown, call: 'measure' | 'measureStates' | 'measurePatterns'): Measured {
  if (call !== 'measurePatterns' && typeof o === 'object' && o !== null && ('retain' in o || 'predictions' in o || 'values' in o)) {
    throw new InstrumentError(
      'INVALID_OPTION',
      `probe.${call}(x, options): retain, predictions and values belong to probe.measurePatterns(x, options), which returns a Measurement with every pattern.`,
    )
  }
  const retain = call === 'measurePatterns'
  const { labels, ...rest } = retain
    ? MEASURE_PATTERNS_OPTIONS.parse(o)
    : { ...MEASURE_OPTIONS.parse(o, `probe.${call}(x, options)`), predictions: false, values: false, output: undefined }
  if (rest.output !== undefined && !rest.predictions)
    throw new InstrumentError(
      'INVALID_OPTION',
      `probe.${call}(x, options): output chooses the output of predictions; add predictions: true.`,
    )
  return { ...rest, retain, labels: labels === undefined ? null : toLabels(labels, `${call}()`) }
}

/** Hands a handler's own exception to `reportUncaught`, never to the training loop. */
function callSafely(handler: ((error: InstrumentError) => void) | undefined, error: InstrumentError): void {
  if (handler === undefined) return
  try {
    handler(error)
  } catch (thrown) {
    reportUncaught(thrown)
  }
}

const interrupted = (call = 'measure()'): InstrumentError =>
  new InstrumentError(
    'DISPOSED',
    `The probe was disposed while ${call} was running; ${call === 'measure()' ? 'the measurement is incomplete and has been dropped' : 'its patterns are incomplete and have been dropped'}.`,
  )

/**
 * The recording machinery behind a probe: the taps, the training stream, the reader and
 * pass ownership. A tap sees a site's output, asks who owns the pass, has the reader pack
 * it, and the owner's stream folds it in.
 */
export class Recording {
  readonly sites: readonly Site[]
  /** The training stream; replaced (never cleared in place) by `reset()`. */
  stream: Stream
  disposed = false
  private readonly groups: readonly Group[]
  private readonly reader: Reader
  private readonly passes = new Passes<MeasureSession>()
  private readonly undos: (() => void)[] = []
  private readonly report: (error: InstrumentError) => void
  /** Rejects when the probe is disposed, so a measurement waiting on a dataset stops at once. */
  private readonly stopped: Promise<never>
  private stop: () => void = () => undefined

  constructor(
    private readonly model: RunnableModel,
    sites: readonly Site[],
    private readonly source: Source,
    private readonly reducers: ReducerSet,
    private readonly options: Pick<ResolvedOptions, 'passes' | 'every' | 'onError' | 'read'>,
    /** Parts of the whole-network site (the last of `sites`), or null without one. */
    private readonly network: readonly NetworkPart[] | null = null,
  ) {
    this.sites = sites
    this.report = (error) => callSafely(options.onError, error)
    this.stream = new Stream(reducers, this.sites, this.report, null, network)
    this.groups = source.groups
    this.reader = new Reader(options.read)
    this.stopped = new Promise<never>((_resolve, reject) => {
      this.stop = () => reject(interrupted())
    })
    this.stopped.catch(() => undefined) // only measurements in flight care
  }

  /** The objects tapped, for the probe's bookkeeping. */
  get tapped(): readonly object[] {
    return this.source.tapped
  }

  /** Starts recording every forward call. */
  attach(): void {
    this.undos.push(
      ...this.source.attach(
        (group, out, training, owner) =>
          this.onOutput(this.groups[group]!, out, training, owner as { value: MeasureSession | null } | undefined),
        () => this.passes.current,
      ),
    )
  }

  /** Starts the training stream afresh; reads in flight land in the old one. */
  reset(): void {
    this.stream = new Stream(this.reducers, this.sites, this.report, null, this.network)
  }

  flush(): Promise<void> {
    return this.reader.flush()
  }

  /** One ordered pass over `x` into a fresh stream of its own. */
  async measure(
    x: MeasureInput,
    o: unknown,
    call: 'measure' | 'measureStates' | 'measurePatterns' = 'measure',
  ): Promise<Record<string, Record<string, unknown>> | Measurement<Record<string, Record<string, unknown>>>> {
    const states = call === 'measureStates'
    const { batchSize, training, labels, retain, predictions, values, output } = measureOptions(o, call)
    if (training && !this.source.trains)
      throw new InstrumentError('INVALID_OPTION', `probe.${call}(x, { training: true }): a graph model has no training mode.`)
    if (values && !this.source.values) {
      throw new InstrumentError(
        'INVALID_OPTION',
        `probe.${call}(x, { values: true }): this probe reads only bits. Instrument the model with { values: true } (or a reducer that needs values) to keep activation values.`,
      )
    }
    const index = predictions ? outputIndex(this.model, output, `probe.${call}(x, options)`) : 0
    const see = predictions ? (returned: unknown) => session.addPredictions(predictedClasses(returned, index)) : undefined
    const session = new MeasureSession(this.reducers, this.sites, labels, retain, this.network, values)
    const model = this.model
    await forEachBatch(
      x,
      batchSize,
      model,
      (input, examples) => {
        if (this.disposed) throw interrupted()
        session.beginBatch(Array.isArray(input) ? input : [input], examples)
        const failed = (error: unknown): never => {
          if (error instanceof InstrumentError) throw error
          throw new InstrumentError('INVALID_INPUT', `The model could not run on this input: ${String(error)}`, { cause: error })
        }
        if (this.source.asyncOnly) {
          // executeAsync is called (and takes its owner) inside the synchronous run; awaited after
          return this.passes.run(session, () => forwardAsync(model, input, see)).catch(failed)
        }
        try {
          this.passes.run(session, () => forward(model, input, training, see))
        } catch (error) {
          failed(error)
        }
      },
      this.stopped,
    )
    await this.reader.flush()
    if (this.disposed) throw interrupted()
    session.stream.check()
    session.finish()
    if (states) return session.stream.snapshot()
    const results = session.stream.results()
    if (!retain) return results
    const measurement = {
      kind: 'measurement' as const,
      examples: session.examples,
      inputs: session.inputs,
      results,
      patterns: session.retained(),
    }
    const m = {
      ...measurement,
      ...(predictions ? { predictions: session.predictions(), classes: session.classes, output: index } : {}),
      ...(values ? { values: session.values() } : {}),
    }
    // how a notebook shows it, off its enumerable keys: it stays plain data
    Object.defineProperty(m, JUPYTER_DISPLAY, { value: () => measurementBundle(m) })
    return m
  }

  /**
   * Runs `fn` as a pass of its own; its patterns resolve once any asynchronous reads are
   * in. A capture inside a capture gets the rows of its own calls, and so does the one
   * around it (a monitor's `predict` inside the program's capture, say); inside a
   * measurement's own call `fn` is part of the measurement. `fn` must be synchronous: an
   * async function is refused, and a function that returns a promise gets its patterns
   * rejected (the calls after its first `await` ran outside the capture).
   */
  capture<T>(fn: () => T): { value: T; patterns: Promise<Record<string, RetainedPatterns> | null> } {
    if (typeof fn !== 'function') throw new InstrumentError('INVALID_INPUT', 'probe.capture(fn) takes a function that runs forward passes.')
    if (/^class[\s{]/.test(Function.prototype.toString.call(fn)))
      throw new InstrumentError('INVALID_INPUT', 'probe.capture(fn) takes a function that runs forward passes, not a class.')
    if (
      fn.constructor?.name === 'AsyncFunction' ||
      fn.constructor?.name === 'AsyncGeneratorFunction' ||
      fn.constructor?.name === 'GeneratorFunction'
    ) {
      throw new InstrumentError(
        'INVALID_INPUT',
        'probe.capture(fn) takes a synchronous function: the forward calls after an await would run outside it. Capture each call (probe.capture(() => model.predict(x))), or use probe.measure.',
      )
    }
    const around = this.passes.current
    // inside a pass already owned by a measurement (a call the library made), fn is part of it
    if (around !== null && !around.capturing) return { value: fn(), patterns: Promise.resolve(null) }
    const session = new MeasureSession(this.reducers, this.sites, null, true, this.network)
    session.capturing = true
    session.outer = around
    const value = this.passes.run(session, fn)
    const later = value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function'
    // read as the pass ran (cpu, wasm): complete, whatever happens to the probe after
    const complete = this.reader.idle
    const patterns = this.reader.flush().then(() => {
      if (this.disposed && !complete) throw interrupted('capture()')
      if (later) {
        throw new InstrumentError(
          'INVALID_INPUT',
          'probe.capture(fn): fn returned a promise, so the forward calls after its first await ran outside the capture; its patterns would be partial. Capture each call instead.',
        )
      }
      session.stream.check()
      return session.retained()
    })
    patterns.catch(() => undefined) // a caller that never awaits the patterns is not an unhandled rejection
    return { value, patterns }
  }

  /** Removes every tap (each undo runs even if another fails) and frees the reader. */
  detach(): unknown[] {
    this.disposed = true
    this.stop()
    const errors: unknown[] = []
    for (const undo of this.undos.reverse()) {
      try {
        undo()
      } catch (e) {
        errors.push(e)
      }
    }
    this.reader.dispose()
    return errors
  }

  /** Runs inside the model's forward pass: it must never throw into it. */
  private onOutput(lr: Group, output: unknown, training: boolean, owner?: { value: MeasureSession | null }): void {
    if (!isTensor(output)) return
    const session = owner === undefined ? this.passes.current : owner.value
    const target = session === null ? this.stream : session.stream
    if (target.failure !== null) return
    const t0 = performance.now()
    const reduced = target.reduceClock
    try {
      if (session === null && !this.counts(target, lr, training)) return
      const pass = session === null ? this.epoch() : session.pass
      // a capture's rows go to the captures around it too
      const outer: MeasureSession[] = []
      for (let o = session?.capturing === true ? session.outer : null; o !== null; o = o.outer) outer.push(o)
      this.reader.read(lr.recorder, output as Tensor, session?.current ?? null, {
        done: (batches) => {
          target.fold(lr.planes, batches, pass)
          for (const o of outer) o.stream.fold(lr.planes, batches, o.pass)
        },
        failed: (error) => {
          target.fail(error, lr.planes[0]!)
          for (const o of outer) o.stream.fail(error, lr.planes[0]!)
        },
      })
    } catch (error) {
      target.fail(error, lr.planes[0]!)
    } finally {
      // the read's own time: reducers that ran inside it (synchronous delivery) are counted apart
      target.counters[lr.planes[0]!]!.recordMs += performance.now() - t0 - (target.reduceClock - reduced)
    }
  }

  private openEpoch: number | null = null
  private epochs = 0

  /**
   * The pass id of an unowned forward call: the synchronous run it happens in. A forward
   * pass runs synchronously, so its taps share one id; the next run gets another.
   */
  private epoch(): number {
    if (this.openEpoch === null) {
      this.openEpoch = ++this.epochs
      queueMicrotask(() => {
        this.openEpoch = null
      })
    }
    return this.openEpoch
  }

  /** Counts a call of the training stream; true when the `passes` and `every` filters record it. */
  private counts(target: Stream, lr: Group, training: boolean): boolean {
    const { passes, every } = this.options
    const first = target.counters[lr.planes[0]!]!
    for (const i of lr.planes) target.counters[i]!.calls++
    if (passes !== 'all' && (passes === 'training') !== training) return false
    if ((first.calls - 1) % every !== 0) return false
    for (const i of lr.planes) target.counters[i]!.recorded++
    return true
  }
}
