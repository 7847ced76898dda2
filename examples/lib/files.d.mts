import type { io } from '@tensorflow/tfjs-core'

/** An IOHandler for tf.loadLayersModel that reads model.json and its weight files from disk. */
export function fromDisk(modelJsonPath: string): io.IOHandler
/** An IOHandler for model.save that writes model.json + weights.bin into `dir`. */
export function toDisk(dir: string): io.IOHandler
