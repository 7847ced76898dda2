// Training-side benchmarks: fit overhead, measure throughput, the naive way, memory.
import * as tf from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'
import { instrument, patternHistogram, unitStats } from 'relu-patterns'
import { packRows } from 'relu-patterns'
import { interleave, median, pairedCpu, pairedRatio, pairedRatios, pairedSpread } from './harness.mjs'

const seeded = (i) => tfl.initializers.glorotUniform({ seed: i })

export function mlp() {
  const model = tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [784], units: 512, activation: 'relu', kernelInitializer: seeded(1) }),
      tfl.layers.dense({ units: 512, activation: 'relu', kernelInitializer: seeded(2) }),
      tfl.layers.dense({ units: 512, activation: 'relu', kernelInitializer: seeded(3) }),
      tfl.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: seeded(4) }),
    ],
  })
  model.compile({ optimizer: tf.train.sgd(0.01), loss: 'categoricalCrossentropy' })
  return model
}

export function cnn() {
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 3, activation: 'relu', kernelInitializer: seeded(5) }),
      tfl.layers.conv2d({ filters: 16, kernelSize: 3, strides: 2, activation: 'relu', kernelInitializer: seeded(6) }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: seeded(7) }),
    ],
  })
  model.compile({ optimizer: tf.train.sgd(0.01), loss: 'categoricalCrossentropy' })
  return model
}

/**
 * The stress case for recording: conv 16-16-pool-32-32 on 28x28 inputs, where per-position
 * patterns are many and narrow against a fast forward and backward pass (wasm, with the
 * convolution gradients of examples/lib/wasm-conv.mjs registered).
 */
export function cnnStress() {
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 16, kernelSize: 3, activation: 'relu', kernelInitializer: seeded(11) }),
      tfl.layers.conv2d({ filters: 16, kernelSize: 3, activation: 'relu', kernelInitializer: seeded(12) }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu', kernelInitializer: seeded(13) }),
      tfl.layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu', kernelInitializer: seeded(14) }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: seeded(15) }),
    ],
  })
  model.compile({ optimizer: tf.train.sgd(0.01), loss: 'categoricalCrossentropy' })
  return model
}

function data(n, shape) {
  const xs = tf.randomUniform([n, ...shape], 0, 1, 'float32', 1)
  const ys = tf.oneHot(tf.cast(tf.mul(tf.randomUniform([n], 0, 0.999, 'float32', 2), 10), 'int32'), 10)
  return { xs, ys }
}

const defaults = () => ({ units: unitStats(), patterns: patternHistogram() })

/** Wall time of fit with every training batch recorded, over plain fit, interleaved. */
export async function fitOverhead(makeModel, shape, { examples, batchSize, rounds }) {
  const model = makeModel()
  const { xs, ys } = data(examples, shape)
  const fit = () => model.fit(xs, ys, { epochs: 1, batchSize, shuffle: false, verbose: 0 })
  const shares = []
  const t = await interleave(
    {
      plain: fit,
      instrumented: async () => {
        const probe = instrument(model, { reducers: defaults() })
        const t0 = performance.now()
        await fit()
        await probe.flush() // asynchronous reads (webgl) land before the clock stops
        const elapsed = performance.now() - t0
        probe.results()
        // the probe's own time (reading, packing, reducers), from its counters, over the fit's
        const own = Object.values(probe.counters()).reduce((s, c) => s + c.recordMs + c.reduceMs, 0)
        shares.push(own / elapsed)
        probe.dispose()
      },
    },
    { rounds, warmup: 1, alternate: true },
  )
  tf.dispose([xs, ys])
  const measured = shares.slice(shares.length - rounds)
  const cpu = pairedCpu(t, 'instrumented', 'plain')
  return {
    ratio: pairedRatio(t, 'instrumented', 'plain'),
    ratioSpread: pairedSpread(t, 'instrumented', 'plain'),
    roundRatios: pairedRatios(t, 'instrumented', 'plain'),
    cpuRatio: cpu?.ratio ?? null,
    cpuRatioSpread: cpu?.spread ?? null,
    rounds,
    plainMs: t.plain,
    instrumentedMs: t.instrumented,
    recorderShare: median(measured),
    recorderShareRange: [Math.min(...measured), Math.max(...measured)],
  }
}

/** The naive statistics: float download, per-bit JS loops, string keys in a Map. */
function naiveStats(activations) {
  const on = []
  const hist = []
  activations.forEach((ys) =>
    ys.forEach((y, s) => {
      const v = y.dataSync()
      const units = y.shape[1]
      on[s] ??= new Float64Array(units)
      hist[s] ??= new Map()
      for (let r = 0; r < y.shape[0]; r++) {
        let key = ''
        for (let u = 0; u < units; u++) {
          const bit = v[r * units + u] > 0
          if (bit) on[s][u]++
          key += bit ? '1' : '0'
        }
        hist[s].set(key, (hist[s].get(key) ?? 0) + 1)
      }
    }),
  )
  return hist.map((h) => h.size)
}

/**
 * A tensor's values the way the probe's recorder reads them (src/record/read.ts): on the
 * wasm backend a view of the module's heap, used at once (no copy); elsewhere `dataSync()`.
 */
function readInPlace(y) {
  const b = tf.backend()
  const info = tf.getBackend() === 'wasm' && y.dtype === 'float32' ? b.dataIdMap?.get(y.dataId) : undefined
  const heap = b.wasm?.HEAPU8
  if (info?.memoryOffset === undefined || heap === undefined) return y.dataSync()
  return new Float32Array(heap.buffer, heap.byteOffset + info.memoryOffset, y.size)
}

/** The same statistics the way a probe computes them: one read in place, packed words, the default reducers. */
function packedStats(activations) {
  const states = []
  const reducers = defaults()
  activations.forEach((ys) =>
    ys.forEach((y, s) => {
      const [rows, units] = y.shape
      const words = new Uint32Array(rows * Math.ceil(units / 32))
      const nonFinite = packRows(readInPlace(y), rows, units, words)
      const batch = { words, rows, units, wordsPerRow: Math.ceil(units / 32), nonFinite, positions: 1, labels: null }
      states[s] ??= { u: reducers.units.init(batch), h: reducers.patterns.init(batch) }
      reducers.units.update(states[s].u, batch)
      reducers.patterns.update(states[s].h, batch)
    }),
  )
  return states.map((s) => reducers.patterns.result(s.h).distinct)
}

/** A dataset of ready-made batches (clones share data, so nothing is copied). */
const datasetOf = (batches) => ({
  iterator: async () => {
    let i = 0
    return { next: async () => (i < batches.length ? { value: tf.clone(batches[i++]), done: false } : { value: undefined, done: true }) }
  },
})

/**
 * measure() against predict() and against the naive way, on the same ready-made batches
 * (tfjs-wasm's slice kernel copies its whole input, which would otherwise dominate all three).
 */
export async function measureBench({ examples, rounds }) {
  const model = mlp()
  const plain = mlp() // same seeds, same weights, never instrumented
  const exposing = tfl.model({ inputs: plain.inputs, outputs: plain.layers.slice(0, 3).map((l) => l.output) })
  const batches = Array.from({ length: examples / 128 }, (_, i) => tf.randomUniform([128, 784], 0, 1, 'float32', i))
  const probe = instrument(model, { reducers: defaults() })
  const activations = batches.map((x) => exposing.predict(x, { batchSize: 128 }))
  const t = await interleave(
    {
      measure: () => probe.measure(datasetOf(batches)),
      predict: () => {
        for (const x of batches) tf.dispose(plain.predict(x, { batchSize: 128 }))
      },
      naiveEndToEnd: () => {
        for (const x of batches) {
          const ys = exposing.predict(x, { batchSize: 128 })
          naiveStats([ys])
          tf.dispose(ys)
        }
      },
      naiveStats: () => naiveStats(activations),
      packedStats: () => packedStats(activations),
    },
    { rounds, warmup: 1 },
  )
  probe.dispose()
  tf.dispose(batches)
  tf.dispose(activations)
  return {
    measureOverPredict: pairedRatio(t, 'measure', 'predict'),
    measureOverPredictSpread: pairedSpread(t, 'measure', 'predict'),
    // the same statistics from the same activations, forward pass excluded
    vsNaive: pairedRatio(t, 'naiveStats', 'packedStats'),
    vsNaiveSpread: pairedSpread(t, 'naiveStats', 'packedStats'),
    vsNaiveEndToEnd: pairedRatio(t, 'naiveEndToEnd', 'measure'),
    measurePassesPerSec: 1000 / t.measure,
  }
}

/** Tensors, JS heap and state bytes after many recorded batches. */
export async function memoryBench({ batches }) {
  const model = mlp()
  const x = tf.randomUniform([128, 784], 0, 1, 'float32', 3)
  const probe = instrument(model, { reducers: defaults() })
  tf.dispose(model.predict(x))
  globalThis.gc?.()
  const tensors = tf.memory().numTensors
  const heap = process.memoryUsage().heapUsed
  for (let i = 0; i < batches; i++) tf.dispose(model.predict(x))
  globalThis.gc?.()
  const heapGrowth = process.memoryUsage().heapUsed - heap
  const r = probe.results()
  const site = probe.sites[0]
  const stateBytes = r[site.id].patterns.bytes + site.units * 8
  const result = {
    batches,
    tensorGrowth: tf.memory().numTensors - tensors,
    heapGrowthBytes: heapGrowth,
    heapMeasuredAfterGc: typeof globalThis.gc === 'function',
    stateBytesPerSite: stateBytes,
    recorderBufferBytesPerSite: 128 * Math.ceil(site.units / 32) * 4,
    floatBatchBytesPerSite: 128 * site.units * 4,
    distinctPatternsFirstSite: r[site.id].patterns.distinct,
  }
  probe.dispose()
  x.dispose()
  return result
}
