// A worker thread of a Node workerPool: imports its backend, makes the reducers from their
// specs (importing a spec's module by name), and answers tasks (see serve.ts).
import { parentPort, workerData } from 'node:worker_threads'
import type { WorkerReply, WorkerSetup, WorkerTask } from './job.js'
import { type ReducerFactory, answer, builtIn, failure, runnerFor } from './serve.js'

async function lookup(spec: { module: string; factory: string }): Promise<ReducerFactory> {
  const from = spec.module === 'relu-patterns' ? builtIn : ((await import(spec.module)) as Record<string, unknown>)
  const factory = from[spec.factory]
  if (typeof factory !== 'function') throw new Error(`${spec.module} has no export ${spec.factory}`)
  return factory as ReducerFactory
}

const reply = (r: WorkerReply, id: number, transfer: ArrayBuffer[] = []): void => parentPort!.postMessage({ ...r, id }, transfer)
const setup = workerData as WorkerSetup

import(setup.backend === 'wasm' ? '@tensorflow/tfjs-backend-wasm' : '@tensorflow/tfjs-backend-cpu')
  .then(() => runnerFor(setup, lookup))
  .then(
    (run) => {
      parentPort!.on('message', (task: WorkerTask & { id: number }) => answer(run, task, reply))
      reply({ ready: true }, 0)
    },
    (error: unknown) => reply(failure(error), 0),
  )
