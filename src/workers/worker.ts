// A worker thread of a workerPool: loads the model once, instruments it as the main probe
// is, then for each task takes the current weights, measures its share of the examples
// and posts back the states.
import { parentPort, workerData } from 'node:worker_threads'
import * as tf from '@tensorflow/tfjs-core'
import { loadLayersModel } from '@tensorflow/tfjs-layers'
import { InstrumentError } from '../errors.js'
import { instrument } from '../instrument/probe.js'
import type { Reducer, ReducerMap, ReducerSpec } from '../reducer.js'
import { coverage } from '../reducers/coverage.js'
import { dormant } from '../reducers/dormant.js'
import { hamming } from '../reducers/hamming.js'
import { patternHistogram } from '../reducers/pattern-histogram.js'
import { unitStats } from '../reducers/unit-stats.js'
import type { WorkerReply, WorkerSetup, WorkerTask } from './job.js'

/** The built-in reducer factories, as `relu-patterns` exports them. */
const builtIn: Record<string, unknown> = { coverage, dormant, hamming, patternHistogram, unitStats }

async function makeReducer(spec: ReducerSpec): Promise<Reducer<unknown, unknown>> {
  const from = spec.module === 'relu-patterns' ? builtIn : ((await import(spec.module)) as Record<string, unknown>)
  const factory = from[spec.factory]
  if (typeof factory !== 'function') throw new Error(`${spec.module} has no export ${spec.factory}`)
  return (factory as (o: unknown) => Reducer<unknown, unknown>)(spec.options)
}

async function setUp(setup: WorkerSetup) {
  await import(setup.backend === 'wasm' ? '@tensorflow/tfjs-backend-wasm' : '@tensorflow/tfjs-backend-cpu')
  await tf.setBackend(setup.backend)
  const model = await loadLayersModel(tf.io.fromMemory(setup.artifacts))
  const reducers: ReducerMap = {}
  for (const [key, spec] of Object.entries(setup.reducers)) reducers[key] = await makeReducer(spec)
  const probe = instrument(model, { ...setup.instrumentOptions, reducers })
  const specs = setup.artifacts.weightSpecs ?? []
  return async (task: WorkerTask): Promise<unknown> => {
    const named = tf.io.decodeWeights(task.weightData, specs)
    model.setWeights(model.weights.map((w) => named[w.originalName]!))
    tf.dispose(Object.values(named))
    const x = tf.tensor(task.x, task.shape, 'float32')
    try {
      return await probe.measureStates(x, { batchSize: task.batchSize, training: task.training, ...(task.labels === null ? {} : { labels: task.labels }) })
    } finally {
      x.dispose()
    }
  }
}

const reply = (r: WorkerReply, id: number): void => parentPort!.postMessage({ ...r, id })
const failure = (error: unknown): WorkerReply => ({ error: String(error), code: error instanceof InstrumentError ? error.code : null })

setUp(workerData as WorkerSetup).then(
  (run) => {
    parentPort!.on('message', (task: WorkerTask & { id: number }) => {
      run(task).then((states) => reply({ states }, task.id), (error: unknown) => reply(failure(error), task.id))
    })
    reply({ ready: true }, 0)
  },
  (error: unknown) => reply(failure(error), 0),
)
