// The checkpoints train.mjs --checkpoints writes: the runs in a folder, a run's config and
// checkpoint files in step order, and a checkpoint loaded into its network.
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'

/** The runs in `dir`: all, or those named in `only` (comma-separated), sorted. */
export function checkpointRuns(dir, only) {
  return readdirSync(dir)
    .filter((d) => only === undefined || only.split(',').includes(d))
    .sort()
}

/** A run's config (with stepsPerEpoch), its checkpoint files (full paths) in step order, and their steps. */
export function checkpointsOf(dir, run) {
  const config = JSON.parse(readFileSync(join(dir, run, 'config.json'), 'utf8'))
  const names = readdirSync(join(dir, run))
    .filter((f) => f.startsWith('step-'))
    .sort()
  return { config, files: names.map((f) => join(dir, run, f)), steps: names.map((f) => Number(f.slice(5, 10))) }
}

/** Loads checkpoint `file` into the model's weights (float32, in getWeights order). */
export function loadCheckpoint(model, file) {
  const bytes = readFileSync(file)
  const all = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4)
  let at = 0
  const weights = model.getWeights().map((w) => {
    const t = tf.tensor(all.subarray(at, at + w.size), w.shape)
    at += w.size
    return t
  })
  if (at !== all.length) throw new Error(`${file} holds ${all.length} weights; the network has ${at}`)
  model.setWeights(weights)
  tf.dispose(weights)
}
