// The worker side of a pool, Node's or a browser's: load the model once, instrument it as
// the main probe is, then for each task take the current weights, measure the share of
// examples and give back the states.
import * as tf from '@tensorflow/tfjs-core'
import { loadLayersModel } from '@tensorflow/tfjs-layers'
import { InstrumentError } from '../errors.js'
import { instrument } from '../instrument/index.js'
import type { Reducer, ReducerMap, ReducerSpec } from '../reducer.js'
import { coverage } from '../reducers/coverage.js'
import { dormant } from '../reducers/dormant.js'
import { hamming } from '../reducers/hamming.js'
import { patternHistogram } from '../reducers/pattern-histogram.js'
import { unitStats } from '../reducers/unit-stats.js'
import type { WorkerReply, WorkerSetup, WorkerTask } from './job.js'

/** A reducer factory as a worker finds it: `(options) => reducer`. */
export type ReducerFactory = (options: never) => Reducer<unknown, unknown>

/** The built-in reducer factories, as `relu-patterns` exports them. */
export const builtIn: Record<string, ReducerFactory> = { coverage, dormant, hamming, patternHistogram, unitStats }

/** Finds the factory of a spec (its module's exports), or throws why not. */
export type FactoryLookup = (spec: ReducerSpec) => Promise<ReducerFactory>

/** Sets up from `setup` and returns the function that measures one task. */
export async function runnerFor(setup: WorkerSetup, lookup: FactoryLookup): Promise<(task: WorkerTask) => Promise<unknown>> {
  if (tf.findBackendFactory(setup.backend) === null || !(await tf.setBackend(setup.backend))) {
    throw new InstrumentError(
      'INVALID_OPTION',
      `The worker has no ${setup.backend} backend (the main thread's): import it in the worker's script.`,
    )
  }
  const model = await loadLayersModel(tf.io.fromMemory(setup.artifacts))
  const reducers: ReducerMap = {}
  for (const [key, spec] of Object.entries(setup.reducers)) reducers[key] = (await lookup(spec))(spec.options as never)
  const probe = instrument(model, { ...setup.instrumentOptions, reducers })
  const specs = setup.artifacts.weightSpecs ?? []
  return async (task) => {
    const named = tf.io.decodeWeights(task.weightData, specs)
    model.setWeights(model.weights.map((w) => named[w.originalName]!))
    tf.dispose(Object.values(named))
    const x = tf.tensor(task.x, task.shape, 'float32')
    try {
      return await probe.measureStates(x, {
        batchSize: task.batchSize,
        training: task.training,
        ...(task.labels === null ? {} : { labels: task.labels }),
      })
    } finally {
      x.dispose()
    }
  }
}

/** The reply telling why a task or the setup failed, with the `InstrumentError` code if any. */
/**
 * A failure as the main thread will show it. Advice meant for a probe the user holds ("call
 * reset()") means nothing for the worker's own probe: the pool's measure failed, and can
 * be run again once the cause is fixed.
 */
export const failure = (error: unknown): WorkerReply => ({
  error: String(error).replace('call reset() to record again', "measure again (the pool's measure failed in a worker)"),
  code: error instanceof InstrumentError ? error.code : null,
})

/**
 * The buffers of the typed arrays in `value` that can move to the main thread instead of
 * being copied: each one whole (its array spans it) and listed once. A task's states are
 * the worker's to give away: it keeps none of them.
 */
export function transferable(value: unknown, out: ArrayBuffer[] = [], seen = new Set<unknown>()): ArrayBuffer[] {
  if (value === null || typeof value !== 'object' || seen.has(value)) return out
  seen.add(value)
  if (ArrayBuffer.isView(value)) {
    const b = value.buffer
    if (b instanceof ArrayBuffer && value.byteOffset === 0 && value.byteLength === b.byteLength && !seen.has(b)) {
      seen.add(b)
      out.push(b)
    }
    return out
  }
  for (const v of Object.values(value)) transferable(v, out, seen)
  return out
}

/** Measures one task and replies, with the task's id, its states (their buffers moved) or why it failed. */
export function answer(
  run: (task: WorkerTask) => Promise<unknown>,
  task: WorkerTask & { id: number },
  reply: (r: WorkerReply, id: number, transfer: ArrayBuffer[]) => void,
): void {
  // measureStates returns a snapshot (a structured clone of the stream's states), so every
  // buffer in it is the task's own and can move; a reply that cannot be sent still answers
  run(task).then(
    (states) => {
      try {
        reply({ states }, task.id, transferable(states))
      } catch (error) {
        reply(failure(error), task.id, [])
      }
    },
    (error: unknown) => reply(failure(error), task.id, []),
  )
}
