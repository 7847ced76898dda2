/* Worker pools of the browser's web workers, and the script side that serves them. */
/**
 * Measurements spread over a browser's web workers: the same pool as Node's worker
 * threads, with workers the application makes from a script of its own, so that its
 * bundler resolves tfjs and the backends there.
 *
 * @module web-workers
 */
import { InstrumentError } from '../errors.js'
import { describeValue } from '../keys.js'
import { type Declaration, check, declareOptions, fn } from '../options.js'
import type { ReducerMap, ReducerSpec } from '../reducer.js'
import type { Probe } from '../instrument/index.js'
import type { WorkerReply, WorkerSetup, WorkerTask } from './job.js'
import { type Endpoint, WORKERS, type WorkerPool, bad, setupOf, startPool } from './pool.js'
import { type ReducerFactory, answer, builtIn, failure, runnerFor } from './serve.js'

export type { WorkerMeasureOptions, WorkerPool } from './pool.js'
export type { ReducerFactory } from './serve.js'

/** The part of a web `Worker` a pool uses. */
export interface WebWorkerLike {
  postMessage(message: unknown, transfer: Transferable[]): void
  addEventListener(type: 'message' | 'error' | 'messageerror', listener: (event: { data?: unknown; message?: string }) => void): void
  terminate(): void
}

/** Options of {@link webWorkerPool}. */
export interface WebWorkerPoolOptions {
  /**
   * Makes one worker running a script that calls {@link serveWorker}, e.g.
   * `() => new Worker(new URL('./probe-worker.js', import.meta.url), { type: 'module' })`.
   */
  worker: () => WebWorkerLike
  /** Workers (default `navigator.hardwareConcurrency`, at most 4; at least 1). */
  workers?: number
  /**
   * Milliseconds a worker may take to call `serveWorker()` (default 60,000; `Infinity`
   * waits for ever); past it the pool's start fails with `RECORD_FAILED` instead of
   * waiting for ever (a script that never calls it, or fails before it).
   */
  timeout?: number
}

const OPTIONS = /* @__PURE__ */ declareOptions(
  'webWorkerPool(probe, options)',
  () =>
    ({
      worker: { check: fn() },
      workers: { check: WORKERS },
      // setTimeout holds at most 2^31 - 1 ms (longer ones fire at once): Infinity means no timer
      timeout: {
        check: check(
          'a number of milliseconds from 1 to 2^31 - 1, or Infinity',
          (t) => typeof t === 'number' && t > 0 && (t <= 2 ** 31 - 1 || t === Infinity),
        ),
        default: 60_000,
      },
    }) satisfies Declaration<WebWorkerPoolOptions>,
  { required: true },
)

const WHERE = 'webWorkerPool(probe, options)'

/**
 * Starts web workers that each load a copy of the probe's model and instrument it the
 * same way, as `workerPool` does with Node's threads: layers models; the main thread's
 * backend, which the worker script must import (`cpu` or `wasm`; webgl needs a worker
 * with OffscreenCanvas); reducers with a `spec`. Each `measure` sends the current weights
 * and the examples, and its results equal `probe.measure` exactly below the histograms'
 * caps. The application makes the workers, from a script of its own that calls
 * {@link serveWorker}, so its bundler resolves tfjs there as it does on the page.
 *
 * @example
 * ```ts
 * // probe-worker.js: import '@tensorflow/tfjs-backend-wasm'; import { serveWorker } from 'relu-patterns/web-workers'; serveWorker()
 * import { webWorkerPool } from 'relu-patterns/web-workers'
 * const pool = await webWorkerPool(probe, {
 *   worker: () => new Worker(new URL('./probe-worker.js', import.meta.url), { type: 'module' }),
 * })
 * const results = await pool.measure(xs, { batchSize: 256 }) // = await probe.measure(xs, { batchSize: 256 })
 * await pool.close()
 * ```
 */
export async function webWorkerPool<M extends ReducerMap>(probe: Probe<M>, options: WebWorkerPoolOptions): Promise<WorkerPool<M>> {
  const o = OPTIONS.parse(options)
  if (o.worker === undefined)
    throw bad(WHERE, 'worker is required: a function that makes a Worker running a script that calls serveWorker().')
  const { timeout } = o
  const cores = typeof navigator === 'object' ? navigator.hardwareConcurrency : undefined
  const count = o.workers ?? Math.max(1, Math.min(4, cores ?? 2))
  const setup = await setupOf(probe as unknown as Probe<ReducerMap>, WHERE, null)
  try {
    // what postMessage will do to the setup, now: a reducer option that cannot be cloned is the caller's to fix
    structuredClone(setup)
  } catch (error) {
    throw bad(
      WHERE,
      `a reducer's spec cannot be sent to a worker (${error instanceof Error ? error.message : String(error)}); its options must be plain data (no functions, class instances or symbols).`,
      error,
    )
  }
  // one worker per thread: a factory that hands out the same worker twice would mix their replies
  const seen = new Set<WebWorkerLike>()
  return startPool(probe, count, setup, (s) => {
    const worker = made(options.worker)
    if (seen.has(worker))
      throw new InstrumentError(
        'RECORD_FAILED',
        `${WHERE}: the worker factory returned the same worker twice; make a new Worker on each call.`,
      )
    seen.add(worker)
    return webEndpoint(worker, s, timeout)
  })
}

/** A worker from the user's factory: what it throws, or a result that is not a worker, is `RECORD_FAILED`. */
function made(factory: () => WebWorkerLike): WebWorkerLike {
  let worker: unknown
  try {
    worker = factory()
  } catch (error) {
    throw new InstrumentError(
      'RECORD_FAILED',
      `${WHERE}: the worker factory threw: ${error instanceof Error ? error.message : String(error)}.`,
      { cause: error },
    )
  }
  const w = worker as Partial<WebWorkerLike> | null
  if (
    typeof w !== 'object' ||
    w === null ||
    typeof w.postMessage !== 'function' ||
    typeof w.addEventListener !== 'function' ||
    typeof w.terminate !== 'function'
  ) {
    throw new InstrumentError(
      'RECORD_FAILED',
      `${WHERE}: the worker factory returned ${describeValue(worker)}, not a Worker (one with postMessage, addEventListener and terminate).`,
    )
  }
  return w as WebWorkerLike
}

/**
 * A web worker as a pool's endpoint. The worker says hello when `serveWorker()` runs (a
 * module worker may still be awaiting when its first messages arrive, and would lose
 * them); the setup goes to it then, as message 0.
 */
function webEndpoint(worker: WebWorkerLike, setup: WorkerSetup, timeout: number): Endpoint {
  let stopped = false
  let timer: ReturnType<typeof setTimeout> | undefined
  return {
    post: (message, transfer) => worker.postMessage(message, transfer),
    listen(onReply, onFailure) {
      let greeted = false
      if (timeout !== Infinity) {
        timer = setTimeout(() => {
          if (!greeted) onFailure(new Error(`the worker did not call serveWorker() within ${timeout} ms`))
        }, timeout)
      }
      worker.addEventListener('message', (e) => {
        const data = e.data as (WorkerReply & { id: number }) | { hello: true } | null
        if (typeof data !== 'object' || data === null) return // the script's own messages
        if (!('hello' in data)) return onReply(data)
        if (greeted) return
        greeted = true
        clearTimeout(timer)
        try {
          worker.postMessage({ setup, id: 0 }, [])
        } catch (error) {
          onFailure(error instanceof Error ? error : new Error(String(error)))
        }
      })
      worker.addEventListener('error', (e) => {
        clearTimeout(timer)
        onFailure(new Error(e.message ?? 'the worker failed (see its console)'))
      })
      worker.addEventListener('messageerror', () => onFailure(new Error('a message from the worker could not be read')))
    },
    terminate() {
      clearTimeout(timer)
      if (!stopped) worker.terminate()
      stopped = true
      return Promise.resolve()
    },
  }
}

/** Options of {@link serveWorker}. */
export interface ServeWorkerOptions {
  /**
   * Factories of reducers that are not built in, by export name (a reducer's
   * `spec.factory`); the built-in ones are always there. A browser worker cannot import a
   * spec's module by name, so pass what the probe's custom reducers need.
   */
  reducers?: Record<string, ReducerFactory>
}

const SERVE_OPTIONS = /* @__PURE__ */ declareOptions(
  'serveWorker(options)',
  () =>
    ({
      reducers: { check: check('a record of reducer factories', (r) => typeof r === 'object' && r !== null) },
    }) satisfies Declaration<ServeWorkerOptions>,
)

/** The global scope of a dedicated worker, as far as serving needs it. */
interface WorkerScope {
  postMessage(message: unknown, transfer?: Transferable[]): void
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void
}

/**
 * Serves a {@link webWorkerPool} from inside a web worker: call it once in the worker's
 * script, after importing the backend the page uses.
 *
 * @example
 * ```ts
 * // probe-worker.js
 * import '@tensorflow/tfjs-backend-wasm'
 * import { serveWorker } from 'relu-patterns/web-workers'
 * serveWorker()
 * ```
 */
export function serveWorker(options: ServeWorkerOptions = {}): void {
  SERVE_OPTIONS.parse(options)
  const scope = globalThis as unknown as WorkerScope
  const custom = options.reducers ?? {}
  // a built-in by its name from relu-patterns; any other module's factory only from `reducers`
  // (never a built-in of the same name: its states would be merged by another reducer)
  const lookup = async (spec: ReducerSpec): Promise<ReducerFactory> => {
    const from: Record<string, unknown> = spec.module === 'relu-patterns' ? builtIn : custom
    const factory = Object.hasOwn(from, spec.factory) ? from[spec.factory] : undefined
    if (typeof factory !== 'function')
      throw new Error(`no reducer factory "${spec.factory}" from ${spec.module}: pass it to serveWorker({ reducers: { ${spec.factory} } })`)
    return factory as ReducerFactory
  }
  const reply = (r: WorkerReply, id: number, transfer: ArrayBuffer[] = []): void => scope.postMessage({ ...r, id }, transfer)
  let run: Promise<(task: WorkerTask) => Promise<unknown>> | null = null
  scope.addEventListener('message', ({ data }) => {
    const message = data as { setup?: WorkerSetup; id: number } & WorkerTask
    if (message.setup !== undefined) {
      if (run !== null) return // one setup per worker
      run = runnerFor(message.setup, lookup)
      run.then(
        () => reply({ ready: true }, 0),
        (error: unknown) => reply(failure(error), 0),
      )
    } else if (run !== null) {
      run.then(
        (r) => answer(r, message, reply),
        (error: unknown) => reply(failure(error), message.id),
      )
    }
  })
  scope.postMessage({ hello: true })
}
