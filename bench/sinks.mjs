// The live log and the TensorBoard writer during training: fit with both, over fit with the timeline alone.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import { instrument, trainingCallback } from 'relu-patterns'
import { liveLog } from 'relu-patterns/dashboard'
import { tensorboardLog } from 'relu-patterns/tensorboard'
import { interleave, pairedRatio, pairedRatios, pairedSpread } from './harness.mjs'
import { mlp } from './training.mjs'

/**
 * One epoch of the 784-512x3 MLP (wasm, batch 128), measured on a 256-example probe set
 * every 2 batches with `keep: 'patterns'` (the flip rates the sinks write need them):
 * `timeline` keeps the points only; `sinks` also writes each point to a live log and a
 * TensorBoard event file on disk, and waits for the files to be written. Interleaved,
 * every other round in reverse order.
 */
export async function sinksOverhead({ examples, rounds }) {
  const model = mlp()
  const xs = tf.randomUniform([examples, 784], 0, 1, 'float32', 11)
  const ys = tf.oneHot(tf.cast(tf.mul(tf.randomUniform([examples], 0, 0.999, 'float32', 12), 10), 'int32'), 10)
  const probeXs = tf.randomUniform([256, 784], 0, 1, 'float32', 13)
  const dir = mkdtempSync(join(tmpdir(), 'relu-bench-sinks-'))
  let run = 0
  let points = 0
  const fit = async (sinks) => {
    const probe = instrument(model)
    const tensorboard = sinks ? tensorboardLog({ dir: join(dir, `tb-${run}`) }) : null
    const schedule = trainingCallback(probe, {
      every: { batches: 2 },
      measure: probeXs,
      keep: 'patterns',
      ...(sinks ? { live: liveLog({ dir, name: `run-${run++}` }), tensorboard } : {}),
    })
    await model.fit(xs, ys, { epochs: 1, batchSize: 128, shuffle: false, verbose: 0, callbacks: [schedule] })
    await tensorboard?.flush()
    points = schedule.timeline.entries.length
    probe.dispose()
  }
  const t = await interleave({ timeline: () => fit(false), sinks: () => fit(true) }, { rounds, warmup: 1, alternate: true })
  tf.dispose([xs, ys, probeXs])
  rmSync(dir, { recursive: true, force: true })
  return {
    ratio: pairedRatio(t, 'sinks', 'timeline'),
    ratioSpread: pairedSpread(t, 'sinks', 'timeline'),
    roundRatios: pairedRatios(t, 'sinks', 'timeline'),
    rounds,
    points,
    timelineMs: t.timeline,
    sinksMs: t.sinks,
  }
}
