// measureInWorkers: one measurement spread over Node worker threads, each with its own
// copy of the model, the states merged at the end. Node only (relu-patterns/workers).
import { Worker } from 'node:worker_threads'
import type { Tensor } from '@tensorflow/tfjs-core'
import { getBackend, io, slice } from '@tensorflow/tfjs-core'
import { InstrumentError } from '../errors.js'
import { assertOptions } from '../keys.js'
import type { ReducerMap, ReducerSpec } from '../reducer.js'
import { instrumentOptionsOf } from '../instrument/probe.js'
import type { Probe, Results, States } from '../instrument/probe-types.js'
import type { WorkerJob, WorkerReply } from './job.js'

/** Options of {@link measureInWorkers}. */
export interface WorkerMeasureOptions {
  /** Worker threads (default 2); each runs a contiguous share of the batches. */
  workers?: number
  /** Examples per forward pass (default 128), as for `measure`. */
  batchSize?: number
  /** Batch statistics for batch normalisation, as `measure({ training })`. */
  training?: boolean
  /** One integer label per example, as `measure({ labels })`. */
  labels?: ArrayLike<number>
}

const WHERE = 'measureInWorkers(probe, x, options)'
const bad = (message: string, cause?: unknown): InstrumentError =>
  new InstrumentError('INVALID_OPTION', `${WHERE}: ${message}`, cause === undefined ? {} : { cause })

/**
 * Measures `x` as `probe.measure(x, options)` does, with the forward passes and the
 * statistics spread over worker threads: each worker loads a copy of the model (its
 * weights as they are now), instruments it the same way and measures a contiguous run of
 * whole batches; the states are merged in input order, so the results are exactly those
 * of the single-thread measurement. Node only, `cpu` and `wasm` backends, layers models,
 * reducers with a `spec` (every built-in reducer has one). It pays off when the probe set
 * is large: starting a worker and loading tfjs there costs about a second.
 *
 * @example
 * ```ts
 * import { measureInWorkers } from 'relu-patterns/workers'
 * const results = await measureInWorkers(probe, trainXs, { workers: 2, batchSize: 256 })
 * // equal to: await probe.measure(trainXs, { batchSize: 256 })
 * ```
 */
export async function measureInWorkers<M extends ReducerMap>(probe: Probe<M>, x: Tensor, options: WorkerMeasureOptions = {}): Promise<Results<M>> {
  assertOptions(WHERE, options, ['workers', 'batchSize', 'training', 'labels'])
  const workers = options.workers ?? 2
  const batchSize = options.batchSize ?? 128
  if (!Number.isInteger(workers) || workers < 1 || workers > 64) throw bad(`workers must be an integer from 1 to 64, not ${String(workers)}.`)
  if (!Number.isInteger(batchSize) || batchSize < 1) throw bad(`batchSize must be a positive integer, not ${String(batchSize)}.`)
  if (options.training !== undefined && typeof options.training !== 'boolean') throw bad(`training must be true or false, not ${String(options.training)}.`)
  if (typeof (x as { shape?: unknown }).shape !== 'object' || x.dtype !== 'float32') throw new InstrumentError('INVALID_INPUT', `${WHERE}: x must be one float32 tensor of examples.`)
  const examples = x.shape[0]!
  if (options.labels !== undefined && options.labels.length !== examples) {
    throw new InstrumentError('INVALID_INPUT', `${WHERE}: ${options.labels.length} labels for ${examples} examples.`)
  }
  const job = await jobOf(probe as unknown as Probe<ReducerMap>)
  const batches = Math.ceil(examples / batchSize)
  const parts = Math.max(1, Math.min(workers, batches))
  const shares = Array.from({ length: parts }, (_, w) => {
    const from = Math.floor((w * batches) / parts) * batchSize
    const to = Math.min(examples, Math.floor(((w + 1) * batches) / parts) * batchSize)
    return [from, to] as const
  })
  const states = (await Promise.all(shares.map(([from, to]) => runWorker(job, x, from, to, batchSize, options)))) as States<M>[]
  const merged = states.reduce((a, b) => probe.mergeStates(a, b))
  return probe.resultsOf(merged)
}

/** What every worker gets: the model, how to instrument it, the backend. */
async function jobOf(probe: Probe<ReducerMap>): Promise<Omit<WorkerJob, 'x' | 'shape' | 'labels' | 'batchSize' | 'training'>> {
  if (probe.disposed) throw new InstrumentError('DISPOSED', `${WHERE}: the probe is disposed.`)
  const made = instrumentOptionsOf(probe)
  if (made === undefined) throw bad('the probe was not made by instrument().')
  const model = probe.model as { save?: unknown; getConfig?: unknown }
  if (typeof model.getConfig !== 'function' || typeof model.save !== 'function') throw bad('only layers models run in workers (a graph model is not supported yet).')
  const backend = getBackend()
  if (backend !== 'cpu' && backend !== 'wasm') throw bad(`workers run the cpu or wasm backend, not ${backend}.`)
  const reducers: Record<string, ReducerSpec> = {}
  for (const [key, reducer] of Object.entries(made.reducers ?? {})) {
    if (reducer.spec === undefined) throw bad(`reducer "${key}" (${reducer.name}) has no spec, so a worker cannot make it; see ReducerSpec.`)
    reducers[key] = reducer.spec
  }
  const { reducers: _, ...rest } = made
  let instrumentOptions: Record<string, unknown>
  try {
    instrumentOptions = structuredClone(rest) as Record<string, unknown>
  } catch (error) {
    throw bad('the probe\'s instrument options cannot be sent to a worker (a sites predicate is a function: give site ids instead).', error)
  }
  let artifacts: io.ModelArtifacts | undefined
  await (model as { save(h: io.IOHandler): Promise<unknown> }).save(io.withSaveHandler(async (a) => {
    artifacts = a
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }
  }))
  return { artifacts: artifacts!, backend, reducers, instrumentOptions }
}

/** Runs examples [from, to) in a new worker and returns its states. */
async function runWorker(
  job: Omit<WorkerJob, 'x' | 'shape' | 'labels' | 'batchSize' | 'training'>,
  x: Tensor,
  from: number,
  to: number,
  batchSize: number,
  options: WorkerMeasureOptions,
): Promise<States<ReducerMap>> {
  const part = slice(x, from, to - from)
  const values = new Float32Array(part.dataSync() as Float32Array) // its own buffer, to transfer
  part.dispose()
  const data: WorkerJob = {
    ...job,
    x: values,
    shape: [to - from, ...x.shape.slice(1)],
    labels: options.labels === undefined ? null : Int32Array.from(Array.prototype.slice.call(options.labels, from, to) as number[]),
    batchSize,
    training: options.training ?? false,
  }
  const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: data, transferList: [values.buffer as ArrayBuffer] })
  try {
    const reply = await new Promise<WorkerReply>((resolve, reject) => {
      worker.once('message', resolve)
      worker.once('error', reject)
      worker.once('exit', (code) => reject(new Error(`the worker exited with code ${code} before replying`)))
    })
    if ('error' in reply) {
      throw new InstrumentError(reply.code === null ? 'RECORD_FAILED' : (reply.code as never), `${WHERE}: a worker failed: ${reply.error}`)
    }
    return reply.states as States<ReducerMap>
  } catch (error) {
    if (error instanceof InstrumentError) throw error
    throw new InstrumentError('RECORD_FAILED', `${WHERE}: a worker failed: ${String(error)}`, { cause: error })
  } finally {
    await worker.terminate()
  }
}
