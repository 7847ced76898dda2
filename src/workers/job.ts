import type { io } from '@tensorflow/tfjs-core'
import type { ReducerSpec } from '../reducer.js'

/** What a worker of `measureInWorkers` is given. */
export interface WorkerJob {
  /** The model: topology, weight specs and weight data, as `model.save` writes them. */
  artifacts: io.ModelArtifacts
  /** `cpu` or `wasm`. */
  backend: string
  /** How to make each reducer again. */
  reducers: Record<string, ReducerSpec>
  /** The probe's instrument options without its reducers. */
  instrumentOptions: Record<string, unknown>
  /** The worker's examples, row-major, and their shape. */
  x: Float32Array
  shape: number[]
  labels: Int32Array | null
  batchSize: number
  training: boolean
}

/** A worker's reply: its states, or why it failed (with the `InstrumentError` code, if any). */
export type WorkerReply = { states: unknown } | { error: string; code: string | null }
