// Measurements spread over Node worker threads, each with its own copy of the model; the
// states are merged at the end. Node only (relu-patterns/workers); browsers have
// relu-patterns/web-workers.
import { Worker } from 'node:worker_threads'
import type { Tensor } from '@tensorflow/tfjs-core'
import { type Declaration, declareOptions } from '../options.js'
import type { ReducerMap } from '../reducer.js'
import type { Probe, Results } from '../instrument/index.js'
import type { WorkerReply, WorkerSetup } from './job.js'
import {
  type Endpoint,
  WORKERS,
  WORKER_MEASURE,
  type WorkerMeasureOptions,
  type WorkerPool,
  checkMeasure,
  setupOf,
  startPool,
} from './pool.js'

export type { WorkerMeasureOptions, WorkerPool } from './pool.js'

/** Options of {@link workerPool}. */
export interface WorkerPoolOptions {
  /** Worker threads (default 2). */
  workers?: number
}

const WHERE = 'workerPool(probe, options)'
const OPTIONS = /* @__PURE__ */ declareOptions(
  WHERE,
  () => ({ workers: { check: WORKERS, default: 2 } }) satisfies Declaration<WorkerPoolOptions>,
)
const IN_WORKERS = /* @__PURE__ */ declareOptions(
  'measureInWorkers(probe, x, options)',
  () =>
    ({
      ...OPTIONS.fields,
      ...WORKER_MEASURE.fields,
    }) satisfies Declaration<WorkerMeasureOptions & WorkerPoolOptions>,
)

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
  const { workers: count } = OPTIONS.parse(options)
  const setup = await setupOf(probe as unknown as Probe<ReducerMap>, WHERE, ['cpu', 'wasm'])
  return startPool(probe, count, setup, threadOf)
}

/** A Node worker thread running dist/worker.js, started with the setup. */
function threadOf(setup: WorkerSetup): Endpoint {
  const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: setup })
  return {
    post: (message, transfer) => worker.postMessage(message, transfer),
    listen(onReply, onFailure) {
      worker.on('message', (r: WorkerReply & { id: number }) => onReply(r))
      worker.on('error', onFailure)
      worker.on('exit', (code) => onFailure(new Error(`the worker exited with code ${code}`)))
    },
    terminate: () => worker.terminate(),
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
export async function measureInWorkers<M extends ReducerMap>(
  probe: Probe<M>,
  x: Tensor,
  options: WorkerMeasureOptions & WorkerPoolOptions = {},
): Promise<Results<M>> {
  const where = 'measureInWorkers(probe, x, options)'
  // the count the caller gave is checked as given, before it is cut to the number of batches
  const { workers: wanted } = IN_WORKERS.parse(options, where)
  const { workers: _, ...rest } = options
  const { batchSize } = checkMeasure(x, rest, where)
  // no more workers than batches (a bad count is refused by workerPool)
  const batches = Math.max(1, Math.ceil(x.shape[0]! / batchSize))
  const pool = await workerPool(probe, { workers: Number.isInteger(wanted) && wanted > batches ? batches : wanted })
  try {
    return await pool.measure(x, rest)
  } finally {
    await pool.close()
  }
}
