// Measurements spread over Node worker threads, each with its own copy of the model; the
// states are merged at the end. Node only (relu-patterns/workers).
import { Worker } from 'node:worker_threads'
import type { Tensor } from '@tensorflow/tfjs-core'
import { getBackend, io, slice } from '@tensorflow/tfjs-core'
import { InstrumentError } from '../errors.js'
import { assertOptions } from '../keys.js'
import type { ReducerMap, ReducerSpec } from '../reducer.js'
import { instrumentOptionsOf } from '../instrument/probe.js'
import type { Probe, Results, States } from '../instrument/probe-types.js'
import type { WorkerReply, WorkerSetup, WorkerTask } from './job.js'

/** Options of {@link workerPool}. */
export interface WorkerPoolOptions {
  /** Worker threads (default 2). */
  workers?: number
}

/** Options of a pool's `measure` (and of {@link measureInWorkers}, with `workers`). */
export interface WorkerMeasureOptions {
  /** Examples per forward pass (default 128), as for `measure`. */
  batchSize?: number
  /** Batch statistics for batch normalisation, as `measure({ training })`. */
  training?: boolean
  /** One integer label per example, as `measure({ labels })`. */
  labels?: ArrayLike<number>
}

/** Worker threads that measure for one probe; see {@link workerPool}. */
export interface WorkerPool<M extends ReducerMap> {
  /** Worker threads in the pool. */
  readonly workers: number
  /**
   * Measures `x` as `probe.measure(x, options)` does, with the model's weights as they
   * are now: each worker takes a contiguous run of whole batches, and the states are
   * merged in input order, so the results are exactly those of one measurement.
   */
  measure(x: Tensor, options?: WorkerMeasureOptions): Promise<Results<M>>
  /** Stops the workers. Safe to call twice. */
  close(): Promise<void>
}

const WHERE = 'workerPool(probe, options)'
const bad = (where: string, message: string, cause?: unknown): InstrumentError =>
  new InstrumentError('INVALID_OPTION', `${where}: ${message}`, cause === undefined ? {} : { cause })

/**
 * Starts worker threads that each load a copy of the probe's model and instrument it the
 * same way (Node only; `cpu` and `wasm` backends; layers models; reducers with a `spec`,
 * as every built-in reducer has). Starting costs about a second per worker (loading tfjs
 * there), so keep a pool for repeated measurements (e.g. every point of a training
 * schedule): each `measure` sends the current weights and the examples.
 *
 * @example
 * ```ts
 * import { workerPool } from 'relu-patterns/workers'
 * const pool = await workerPool(probe, { workers: 2 })
 * const results = await pool.measure(trainXs, { batchSize: 256 }) // = probe.measure(trainXs, { batchSize: 256 })
 * await pool.close()
 * ```
 */
export async function workerPool<M extends ReducerMap>(probe: Probe<M>, options: WorkerPoolOptions = {}): Promise<WorkerPool<M>> {
  assertOptions(WHERE, options, ['workers'])
  const count = options.workers ?? 2
  if (!Number.isInteger(count) || count < 1 || count > 64) throw bad(WHERE, `workers must be an integer from 1 to 64, not ${String(count)}.`)
  const setup = await setupOf(probe as unknown as Probe<ReducerMap>)
  const threads = Array.from({ length: count }, () => new Thread(setup))
  try {
    await Promise.all(threads.map((t) => t.ready))
  } catch (error) {
    await Promise.all(threads.map((t) => t.stop()))
    throw error
  }
  let closed = false
  return {
    workers: count,
    async measure(x, o = {}) {
      if (closed) throw new InstrumentError('DISPOSED', 'This worker pool is closed; start another with workerPool(probe).')
      const { batchSize, training, labels } = checkMeasure(x, o)
      const weightData = await weightsOf(probe as unknown as Probe<ReducerMap>)
      const examples = x.shape[0]!
      const batches = Math.ceil(examples / batchSize)
      const parts = Math.max(1, Math.min(count, batches))
      const tasks = Array.from({ length: parts }, (_, w) => {
        const from = Math.floor((w * batches) / parts) * batchSize
        const to = Math.min(examples, Math.floor(((w + 1) * batches) / parts) * batchSize)
        return threads[w]!.run(taskOf(x, from, to, weightData, labels, batchSize, training))
      })
      const states = (await Promise.all(tasks)) as States<M>[]
      return probe.resultsOf(states.reduce((a, b) => probe.mergeStates(a, b)))
    },
    async close() {
      closed = true
      await Promise.all(threads.map((t) => t.stop()))
    },
  }
}

/**
 * One measurement over worker threads: starts a {@link workerPool}, measures `x` with it,
 * and closes it. The results equal `probe.measure(x, options)`. Pays off on large probe
 * sets only (starting costs about a second per worker); see docs/performance.md.
 *
 * @example
 * ```ts
 * import { measureInWorkers } from 'relu-patterns/workers'
 * const results = await measureInWorkers(probe, trainXs, { workers: 2, batchSize: 256 })
 * ```
 */
export async function measureInWorkers<M extends ReducerMap>(probe: Probe<M>, x: Tensor, options: WorkerMeasureOptions & WorkerPoolOptions = {}): Promise<Results<M>> {
  const { workers, ...rest } = options
  checkMeasure(x, rest, 'measureInWorkers(probe, x, options)')
  const pool = await workerPool(probe, workers === undefined ? {} : { workers })
  try {
    return await pool.measure(x, rest)
  } finally {
    await pool.close()
  }
}

function checkMeasure(x: Tensor, o: WorkerMeasureOptions, where = 'pool.measure(x, options)'): Required<Omit<WorkerMeasureOptions, 'labels'>> & { labels: ArrayLike<number> | null } {
  assertOptions(where, o, ['batchSize', 'training', 'labels'])
  const batchSize = o.batchSize ?? 128
  if (!Number.isInteger(batchSize) || batchSize < 1) throw bad(where, `batchSize must be a positive integer, not ${String(batchSize)}.`)
  if (o.training !== undefined && typeof o.training !== 'boolean') throw bad(where, `training must be true or false, not ${String(o.training)}.`)
  if (typeof (x as { shape?: unknown } | null)?.shape !== 'object' || x.dtype !== 'float32') throw new InstrumentError('INVALID_INPUT', `${where}: x must be one float32 tensor of examples.`)
  if (o.labels !== undefined && o.labels.length !== x.shape[0]) {
    throw new InstrumentError('INVALID_INPUT', `${where}: ${o.labels.length} labels for ${x.shape[0]} examples.`)
  }
  return { batchSize, training: o.training ?? false, labels: o.labels ?? null }
}

/** What every worker is started with: the model, how to instrument it, the backend. */
async function setupOf(probe: Probe<ReducerMap>): Promise<WorkerSetup> {
  if (probe.disposed) throw new InstrumentError('DISPOSED', `${WHERE}: the probe is disposed.`)
  const made = instrumentOptionsOf(probe)
  if (made === undefined) throw bad(WHERE, 'the probe was not made by instrument().')
  const model = probe.model as { save?: unknown; getConfig?: unknown }
  if (typeof model.getConfig !== 'function' || typeof model.save !== 'function') throw bad(WHERE, 'only layers models run in workers (a graph model is not supported yet).')
  const backend = getBackend()
  if (backend !== 'cpu' && backend !== 'wasm') throw bad(WHERE, `workers run the cpu or wasm backend, not ${backend}.`)
  const reducers: Record<string, ReducerSpec> = {}
  for (const [key, reducer] of Object.entries(made.reducers ?? {})) {
    if (reducer.spec === undefined) throw bad(WHERE, `reducer "${key}" (${reducer.name}) has no spec, so a worker cannot make it; see ReducerSpec.`)
    reducers[key] = reducer.spec
  }
  const { reducers: _, ...rest } = made
  let instrumentOptions: Record<string, unknown>
  try {
    instrumentOptions = structuredClone(rest) as Record<string, unknown>
  } catch (error) {
    throw bad(WHERE, 'the probe\'s instrument options cannot be sent to a worker (a sites predicate is a function: give site ids instead).', error)
  }
  return { artifacts: await artifactsOf(probe), backend, reducers, instrumentOptions }
}

async function artifactsOf(probe: Probe<ReducerMap>): Promise<io.ModelArtifacts> {
  let artifacts: io.ModelArtifacts | undefined
  await (probe.model as unknown as { save(h: io.IOHandler): Promise<unknown> }).save(io.withSaveHandler(async (a) => {
    artifacts = a
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }
  }))
  return artifacts!
}

async function weightsOf(probe: Probe<ReducerMap>): Promise<ArrayBuffer> {
  if (probe.disposed) throw new InstrumentError('DISPOSED', 'pool.measure(x, options): the probe is disposed.')
  const data = (await artifactsOf(probe)).weightData
  return (Array.isArray(data) ? io.concatenateArrayBuffers(data) : data) as ArrayBuffer
}

function taskOf(x: Tensor, from: number, to: number, weightData: ArrayBuffer, labels: ArrayLike<number> | null, batchSize: number, training: boolean): WorkerTask {
  const part = slice(x, from, to - from)
  const values = new Float32Array(part.dataSync() as Float32Array) // its own buffer, to transfer
  part.dispose()
  return {
    weightData,
    x: values,
    shape: [to - from, ...x.shape.slice(1)],
    labels: labels === null ? null : Int32Array.from(Array.prototype.slice.call(labels, from, to) as number[]),
    batchSize,
    training,
  }
}

/** One worker thread and its replies, one task at a time. */
class Thread {
  private readonly worker: Worker
  private pending: { resolve: (r: WorkerReply) => void; reject: (e: unknown) => void } | null = null
  private failed: unknown = null
  readonly ready: Promise<void>

  constructor(setup: WorkerSetup) {
    this.worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: setup })
    this.worker.on('error', (e) => this.fail(e))
    this.worker.on('exit', (code) => this.fail(new Error(`the worker exited with code ${code}`)))
    this.ready = this.next().then((r) => void this.unwrap(r))
    this.worker.on('message', (r: WorkerReply) => {
      const p = this.pending
      this.pending = null
      p?.resolve(r)
    })
  }

  async run(task: WorkerTask): Promise<unknown> {
    const reply = this.next()
    this.worker.postMessage(task, [task.x.buffer as ArrayBuffer])
    return this.unwrap(await reply)
  }

  stop(): Promise<number> {
    this.failed ??= new InstrumentError('DISPOSED', 'This worker pool is closed.')
    return this.worker.terminate()
  }

  private next(): Promise<WorkerReply> {
    if (this.failed !== null) return Promise.reject(this.failed)
    return new Promise((resolve, reject) => (this.pending = { resolve, reject }))
  }

  private fail(error: unknown): void {
    this.failed ??= error
    const p = this.pending
    this.pending = null
    p?.reject(error)
  }

  private unwrap(reply: WorkerReply): unknown {
    if ('error' in reply) throw new InstrumentError(reply.code === null ? 'RECORD_FAILED' : (reply.code as never), `A worker failed: ${reply.error}`)
    return 'states' in reply ? reply.states : undefined
  }
}
