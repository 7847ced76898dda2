/* The messages between a pool and its workers: setup, tasks and replies. */
import type { io } from '@tensorflow/tfjs-core'
import type { ReducerSpec } from '../reducer.js'

/** What every worker of a pool is started with. */
export interface WorkerSetup {
  /** The model: topology, weight specs and weight data, as `model.save` writes them. */
  artifacts: io.ModelArtifacts
  /** `cpu` or `wasm`. */
  backend: string
  /** How to make each reducer again. */
  reducers: Record<string, ReducerSpec>
  /** The probe's instrument options without its reducers. */
  instrumentOptions: Record<string, unknown>
}

/** One measurement of a worker's share: the model's weights now, and the examples. */
export interface WorkerTask {
  weightData: ArrayBuffer
  /** The share's examples, row-major, and their shape. */
  x: Float32Array
  shape: number[]
  labels: Int32Array | null
  batchSize: number
  training: boolean
}

/** A worker's reply (sent with the task's id; 0 for setup): ready, a task's states, or why it failed (with the `InstrumentError` code, if any). */
export type WorkerReply = { ready: true } | { states: unknown } | { error: string; code: string | null }
