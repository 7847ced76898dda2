// What Node's and browsers' worker pools share: the measurement split into runs of whole
// batches, the tasks, the replies matched by id, and the merge in input order.
import type { Tensor } from '@tensorflow/tfjs-core'
import { getBackend, io, slice } from '@tensorflow/tfjs-core'
import { InstrumentError } from '../errors.js'
import { type Declaration, declareOptions, integer } from '../options.js'
import type { ReducerMap, ReducerSpec } from '../reducer.js'
import { MEASURE_OPTIONS, isTensor, toLabels, type Probe, type Results, type States } from '../instrument/index.js'
import type { WorkerReply, WorkerSetup, WorkerTask } from './job.js'

/** Options of a pool's `measure` (and of {@link measureInWorkers}, with `workers`). */
export interface WorkerMeasureOptions {
  /** Examples per forward pass (default 128), as for `measure`. */
  batchSize?: number
  /** Batch statistics for batch normalisation, as `measure({ training })`. */
  training?: boolean
  /** One integer label per example, as `measure({ labels })`. */
  labels?: ArrayLike<number> | Tensor
}

/** Workers that measure for one probe; see `workerPool` (Node) and `webWorkerPool` (browsers). */
export interface WorkerPool<M extends ReducerMap> {
  /** Workers in the pool. */
  readonly workers: number
  /**
   * Measures `x` as `probe.measure(x, options)` does, with the model's weights as they
   * are now: each worker takes a contiguous run of whole batches, and the states are
   * merged in input order, so the results are exactly those of one measurement while no
   * histogram reaches its memory cap (past it, which patterns are tracked depends on the
   * merge; the estimates and bounds hold either way). Calls run one after another.
   */
  measure(x: Tensor, options?: WorkerMeasureOptions): Promise<Results<M>>
  /** Stops the workers. Safe to call twice. */
  close(): Promise<void>
}

export const bad = (where: string, message: string, cause?: unknown): InstrumentError =>
  new InstrumentError('INVALID_OPTION', `${where}: ${message}`, cause === undefined ? {} : { cause })

/** Checks a worker count: an integer from 1 to 64. */
/** The declaration of {@link WorkerMeasureOptions}: those of `measure` that a pool takes. */
export const WORKER_MEASURE = /* @__PURE__ */ declareOptions(
  'pool.measure(x, options)',
  () =>
    ({
      batchSize: MEASURE_OPTIONS.fields.batchSize,
      training: MEASURE_OPTIONS.fields.training,
      labels: MEASURE_OPTIONS.fields.labels,
    }) satisfies Declaration<WorkerMeasureOptions>,
)

/** A worker count. */
export const WORKERS = /* @__PURE__ */ integer(1, 64)

/**
 * A pool of `count` workers opened by `open` (each is given the setup), ready when every
 * worker has loaded the model; if one fails to start, all are stopped and the error thrown.
 */
export async function startPool<M extends ReducerMap>(
  probe: Probe<M>,
  count: number,
  setup: WorkerSetup,
  open: (setup: WorkerSetup) => Endpoint,
): Promise<WorkerPool<M>> {
  const threads: Thread[] = []
  try {
    // made one by one, so that a factory failing part way stops the workers made before
    for (let i = 0; i < count; i++) threads.push(new Thread(open(setup)))
    await Promise.all(threads.map((t) => t.ready))
  } catch (error) {
    await Promise.all(threads.map((t) => t.stop()))
    throw error
  }
  let closed = false
  let queue: Promise<unknown> = Promise.resolve()
  const measureNow = async (x: Tensor, o: WorkerMeasureOptions): Promise<Results<M>> => {
    if (closed) throw new InstrumentError('DISPOSED', 'This worker pool is closed; start another for the probe.')
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
    // every worker is done before the next measure starts, even when one failed
    const settled = await Promise.allSettled(tasks)
    const failed = settled.find((r) => r.status === 'rejected')
    if (failed !== undefined) throw (failed as PromiseRejectedResult).reason
    const states = settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as States<M>[]
    return probe.results(states.reduce((a, b) => probe.mergeStates(a, b)))
  }
  return {
    workers: count,
    measure(x, o = {}) {
      const run = queue.then(() => measureNow(x, o))
      queue = run.catch(() => undefined)
      return run
    },
    async close() {
      closed = true
      await Promise.all(threads.map((t) => t.stop()))
    },
  }
}

export function checkMeasure(
  x: Tensor,
  o: WorkerMeasureOptions,
  where = 'pool.measure(x, options)',
): { batchSize: number; training: boolean; labels: Int32Array | null } {
  const { batchSize, training } = WORKER_MEASURE.parse(o, where)
  if (!isTensor(x) || x.isDisposed || x.dtype !== 'float32' || x.rank < 1) {
    throw new InstrumentError('INVALID_INPUT', `${where}: x must be one live float32 tensor of examples.`)
  }
  const labels = o.labels === undefined ? null : toLabels(o.labels, where)
  if (labels !== null && labels.length !== x.shape[0]) {
    throw new InstrumentError('INVALID_INPUT', `${where}: ${labels.length} labels for ${x.shape[0]} examples.`)
  }
  return { batchSize, training, labels }
}

/** What every worker is started with: the model, how to instrument it, the backend. */
export async function setupOf(probe: Probe<ReducerMap>, where: string, backends: readonly string[] | null): Promise<WorkerSetup> {
  if (probe.disposed) throw new InstrumentError('DISPOSED', `${where}: the probe is disposed.`)
  const made = probe.options as { reducers?: ReducerMap; onError?: unknown } & Record<string, unknown>
  if (typeof made !== 'object' || made === null) throw bad(where, 'the probe was not made by instrument().')
  const model = probe.model as { save?: unknown; getConfig?: unknown; inputs?: unknown[] }
  if (typeof model.getConfig !== 'function' || typeof model.save !== 'function')
    throw bad(where, 'only layers models run in workers (a graph model is not supported yet).')
  if (model.inputs?.length !== 1) throw bad(where, `only models with one input run in workers; this one has ${model.inputs?.length ?? 0}.`)
  const backend = getBackend()
  if (backends !== null && !backends.includes(backend))
    throw bad(where, `workers run the ${backends.join(' or ')} backend, not ${backend}.`)
  const reducers: Record<string, ReducerSpec> = {}
  for (const [key, reducer] of Object.entries(made.reducers ?? {})) {
    if (reducer.spec === undefined)
      throw bad(where, `reducer "${key}" (${reducer.name}) has no spec, so a worker cannot make it; see ReducerSpec.`)
    reducers[key] = reducer.spec
  }
  // onError concerns the main thread: a worker's errors come back as the measure's rejection
  const { reducers: _, onError: __, ...rest } = made
  const instrumentOptions: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(rest)) {
    try {
      instrumentOptions[key] = structuredClone(value)
    } catch (error) {
      const hint = key === 'sites' ? ' (a sites predicate is a function: give site ids instead)' : ''
      throw bad(where, `the probe's instrument option "${key}" cannot be sent to a worker${hint}.`, error)
    }
  }
  return { artifacts: await artifactsOf(probe), backend, reducers, instrumentOptions }
}

async function artifactsOf(probe: Probe<ReducerMap>): Promise<io.ModelArtifacts> {
  let artifacts: io.ModelArtifacts | undefined
  await (probe.model as unknown as { save(h: io.IOHandler): Promise<unknown> }).save(
    io.withSaveHandler(async (a) => {
      artifacts = a
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }
    }),
  )
  return artifacts!
}

async function weightsOf(probe: Probe<ReducerMap>): Promise<ArrayBuffer> {
  if (probe.disposed) throw new InstrumentError('DISPOSED', 'pool.measure(x, options): the probe is disposed.')
  const data = (await artifactsOf(probe)).weightData
  return (Array.isArray(data) ? io.concatenateArrayBuffers(data) : data) as ArrayBuffer
}

function taskOf(
  x: Tensor,
  from: number,
  to: number,
  weightData: ArrayBuffer,
  labels: ArrayLike<number> | null,
  batchSize: number,
  training: boolean,
): WorkerTask {
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

/**
 * What a pool needs of a worker, Node's or a browser's: send a message (transferring
 * buffers), hear its replies and its failures, stop it.
 */
export interface Endpoint {
  post(message: unknown, transfer: ArrayBuffer[]): void
  listen(onReply: (reply: WorkerReply & { id: number }) => void, onFailure: (error: unknown) => void): void
  terminate(): Promise<unknown>
}

/** One worker; replies are matched to tasks by id, so a late reply is never taken for another. */
class Thread {
  private readonly worker: Endpoint
  private readonly pending = new Map<number, { resolve: (r: WorkerReply) => void; reject: (e: unknown) => void }>()
  private failed: unknown = null
  private ids = 0
  readonly ready: Promise<void>

  constructor(worker: Endpoint) {
    this.worker = worker
    this.ready = this.wait(0).then((r) => void this.unwrap(r))
    // the pool awaits `ready` once every worker is made; a worker stopped before that
    // (another failed to start) must not leave an unhandled rejection behind
    this.ready.catch(() => undefined)
    worker.listen(
      (r) => {
        const p = this.pending.get(r.id)
        this.pending.delete(r.id)
        p?.resolve(r)
      },
      (e) => this.fail(e),
    )
  }

  async run(task: WorkerTask): Promise<unknown> {
    const id = ++this.ids
    const reply = this.wait(id)
    if (this.failed === null) {
      try {
        this.worker.post({ ...task, id }, [task.x.buffer as ArrayBuffer])
      } catch (error) {
        // nothing was sent: no reply will come, and a later close must not reject a promise nobody awaits
        this.pending.delete(id)
        reply.catch(() => undefined)
        throw error
      }
    }
    return this.unwrap(await reply)
  }

  stop(): Promise<unknown> {
    this.fail(new InstrumentError('DISPOSED', 'This worker pool was closed while it was measuring.'))
    return this.worker.terminate()
  }

  private wait(id: number): Promise<WorkerReply> {
    if (this.failed !== null) return Promise.reject(this.failed)
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }))
  }

  /** The first failure stays: every pending and later task rejects with it. */
  private fail(error: unknown): void {
    this.failed ??=
      error instanceof InstrumentError ? error : new InstrumentError('RECORD_FAILED', `A worker failed: ${String(error)}`, { cause: error })
    for (const p of this.pending.values()) p.reject(this.failed)
    this.pending.clear()
  }

  private unwrap(reply: WorkerReply): unknown {
    if ('error' in reply)
      throw new InstrumentError(reply.code === null ? 'RECORD_FAILED' : (reply.code as never), `A worker failed: ${reply.error}`)
    return 'states' in reply ? reply.states : undefined
  }
}
