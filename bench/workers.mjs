// A worker pool's measure against probe.measure on the same probe set, interleaved, and one
// measureInWorkers call with its start-up: a CNN whose conv sites give many patterns per
// example (the statistics-heavy case), on wasm.
//
//   npm run bench:workers [-- --examples 4096] [-- --rounds 7]
import { parseArgs } from 'node:util'
import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-wasm'
import * as tfl from '@tensorflow/tfjs-layers'
import { hamming, instrument, patternHistogram, unitStats } from 'relu-patterns'
import { measureInWorkers, workerPool } from 'relu-patterns/workers'
import { interleave, pairedRatio, pairedRatios, pairedSpread } from './harness.mjs'

/**
 * The pool benches' case on wasm: a CNN whose conv sites (32 and 64 channels) give many
 * patterns per example, its probe (unit statistics, histogram, Hamming pairs) and
 * `examples` random 28x28 inputs.
 */
export async function poolCase(examples) {
  await tf.setBackend('wasm')
  const init = (s) => tfl.initializers.heNormal({ seed: s })
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        inputShape: [28, 28, 1],
        filters: 32,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: init(1),
      }),
      tfl.layers.conv2d({ filters: 64, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: init(2) }),
      tfl.layers.globalAveragePooling2d({}),
      tfl.layers.dense({ units: 10, kernelInitializer: init(3) }),
    ],
  })
  const probe = instrument(model, { reducers: { units: unitStats(), patterns: patternHistogram(), pairs: hamming({ maxPairs: 2000 }) } })
  const xs = tf.randomUniform([examples, 28, 28, 1], 0, 1, 'float32', 7)
  return { model, probe, xs }
}

/** `{ speedup, spread, singleMs, workersMs, oneShotMs, oneShotSpeedup, identical }` for `examples` 28x28 inputs over `workers` threads. */
export async function workersBench({ examples = 4096, workers = 2, rounds = 7 } = {}) {
  const { model, probe, xs } = await poolCase(examples)
  let single
  let parallel
  // a pool started once (as a training schedule keeps one), then measures interleaved with probe.measure
  const pool = await workerPool(probe, { workers })
  const t = await interleave(
    {
      single: async () => void (single = await probe.measure(xs, { batchSize: 256 })),
      workers: async () => void (parallel = await pool.measure(xs, { batchSize: 256 })),
    },
    { rounds, warmup: 1 },
  )
  await pool.close()
  // one measurement that starts and closes its workers
  const t0 = performance.now()
  const once = await measureInWorkers(probe, xs, { workers, batchSize: 256 })
  const oneShotMs = performance.now() - t0
  const identical = JSON.stringify(single) === JSON.stringify(parallel) && JSON.stringify(single) === JSON.stringify(once)
  probe.dispose()
  model.dispose()
  xs.dispose()
  return {
    examples,
    workers,
    rounds,
    speedup: pairedRatio(t, 'single', 'workers'),
    spread: pairedSpread(t, 'single', 'workers'),
    roundRatios: pairedRatios(t, 'single', 'workers'),
    singleMs: t.single,
    workersMs: t.workers,
    oneShotMs,
    oneShotSpeedup: t.single / oneShotMs,
    identical,
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      examples: { type: 'string', default: '4096' },
      rounds: { type: 'string', default: '7' },
      workers: { type: 'string', default: '2' },
    },
  })
  const r = await workersBench({ examples: Number(values.examples), rounds: Number(values.rounds), workers: Number(values.workers) })
  console.log(
    `worker pool, ${r.workers} workers, ${r.examples} examples (wasm, CNN with 32- and 64-channel sites): ${r.speedup.toFixed(2)}x probe.measure ` +
      `(IQR ${r.spread.map((x) => x.toFixed(2)).join('-')}, ${r.rounds} rounds; ${r.singleMs.toFixed(0)} ms against ${r.workersMs.toFixed(0)} ms); ` +
      `measureInWorkers with its start-up ${r.oneShotSpeedup.toFixed(2)}x (${r.oneShotMs.toFixed(0)} ms); results identical: ${r.identical}`,
  )
  if (!r.identical) process.exitCode = 1
}
