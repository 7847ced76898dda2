// The worker thread of measureInWorkers: loads the model, instruments it as the main
// probe is, measures its share of the examples, and posts back the states.
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
import type { WorkerJob, WorkerReply } from './job.js'

/** The built-in reducer factories, as `relu-patterns` exports them. */
const builtIn: Record<string, unknown> = { coverage, dormant, hamming, patternHistogram, unitStats }

async function makeReducer(spec: ReducerSpec): Promise<Reducer<unknown, unknown>> {
  const from = spec.module === 'relu-patterns' ? builtIn : ((await import(spec.module)) as Record<string, unknown>)
  const factory = from[spec.factory]
  if (typeof factory !== 'function') throw new Error(`${spec.module} has no export ${spec.factory}`)
  return (factory as (o: unknown) => Reducer<unknown, unknown>)(spec.options)
}

async function run(job: WorkerJob): Promise<unknown> {
  await import(job.backend === 'wasm' ? '@tensorflow/tfjs-backend-wasm' : '@tensorflow/tfjs-backend-cpu')
  await tf.setBackend(job.backend)
  const model = await loadLayersModel(tf.io.fromMemory(job.artifacts))
  const reducers: ReducerMap = {}
  for (const [key, spec] of Object.entries(job.reducers)) reducers[key] = await makeReducer(spec)
  const probe = instrument(model, { ...job.instrumentOptions, reducers })
  const x = tf.tensor(job.x, job.shape, 'float32')
  try {
    return await probe.measureStates(x, { batchSize: job.batchSize, training: job.training, ...(job.labels === null ? {} : { labels: job.labels }) })
  } finally {
    x.dispose()
    probe.dispose()
    model.dispose()
  }
}

run(workerData as WorkerJob).then(
  (states) => parentPort!.postMessage({ states } satisfies WorkerReply),
  (error: unknown) => parentPort!.postMessage({ error: String(error), code: error instanceof InstrumentError ? error.code : null } satisfies WorkerReply),
)
