// Whole-network patterns and linear regions: the network site's cost at whole-network
// widths, and regions along segments against dense sampling with float read-back.
import * as tf from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'
import { instrument, layoutOf, patternHistogram, regionsAlong } from 'relu-patterns'
import { interleave, median } from './harness.mjs'
import { patterns } from './reducers.mjs'

const seeded = (s) => ({
  kernelInitializer: tfl.initializers.heNormal({ seed: s }),
  biasInitializer: tfl.initializers.randomNormal({ stddev: 0.05, seed: 100 + s }),
})

/** An MLP of 4 x 512 ReLU units: 2,048 bits per example. */
function wide() {
  return tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [784], units: 512, activation: 'relu', ...seeded(1) }),
      ...[2, 3, 4].map((s) => tfl.layers.dense({ units: 512, activation: 'relu', ...seeded(s) })),
      tfl.layers.dense({ units: 10, ...seeded(5) }),
    ],
  })
}

/** A small CNN on 16x16 inputs: 16x16x16 + 8x8x32 + 8x8x32 + 4x4x64 = 9,216 bits per example. */
function convs() {
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [16, 16, 1], filters: 16, kernelSize: 3, padding: 'same', activation: 'relu', ...seeded(6) }),
      tfl.layers.conv2d({ filters: 32, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', ...seeded(7) }),
      tfl.layers.conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu', ...seeded(8) }),
      tfl.layers.conv2d({ filters: 64, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', ...seeded(9) }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 10, ...seeded(10) }),
    ],
  })
}

/**
 * Cost of the whole-network site in `measure`: the same model measured with and without
 * `network: true` (the same per-site histograms), interleaved; the extra time per example
 * is the assembly plus the network histogram.
 */
async function networkSite(make, shape, examples, rounds) {
  const plain = make()
  const whole = make()
  const reducers = { patterns: patternHistogram({ maxBytes: 2 ** 30 }) }
  const a = instrument(plain, { reducers })
  const b = instrument(whole, { reducers, network: true })
  const x = tf.randomNormal([examples, ...shape], 0, 1, 'float32', 3)
  const t = await interleave(
    { sites: () => a.measure(x, { batchSize: 256 }), network: () => b.measure(x, { batchSize: 256 }) },
    { rounds, warmup: 1 },
  )
  const bits = b.sites.at(-1).units
  const extra = median(t.rounds.network.map((n, i) => n - t.rounds.sites[i]))
  a.dispose()
  b.dispose()
  x.dispose()
  // null when the extra time is within the noise of the two runs
  return {
    bits,
    examples,
    ratio: median(t.rounds.network.map((n, i) => n / t.rounds.sites[i])),
    patternsPerSec: extra > 0 ? Math.round(examples / (extra / 1000)) : null,
  }
}

/** The naive way: dense sampling at `steps + 1` points, hidden activations read back as floats, signs compared. */
async function denseSampling(model, from, to, steps, batch = 2048) {
  const hidden = tfl.model({ inputs: model.inputs, outputs: model.layers.slice(0, -1).map((l) => l.output) })
  let previous = null
  let regions = 1
  for (let k0 = 0; k0 <= steps; k0 += batch) {
    const n = Math.min(batch, steps + 1 - k0)
    const ts = tf.tensor2d(
      Array.from({ length: n }, (_, i) => (k0 + i) / steps),
      [n, 1],
    )
    const points = tf.tidy(() => tf.add(from, tf.mul(ts, tf.sub(to, from))))
    const outs = [hidden.predict(points)].flat()
    const values = outs.map((o) => o.dataSync())
    const widths = outs.map((o) => o.shape[1])
    for (let i = 0; i < n; i++) {
      const sign = values
        .map((v, l) => Array.from(v.subarray(i * widths[l], (i + 1) * widths[l]), (x) => (x > 0 ? 1 : 0)).join(''))
        .join('|')
      if (previous !== null && sign !== previous) regions++
      previous = sign
    }
    tf.dispose([ts, points, ...outs])
  }
  return regions
}

/** Regions along segments between random inputs of an MNIST-sized MLP: the walk against dense sampling at the same guarantee. */
async function alongBench({ segments, tolerance, rounds }) {
  const model = tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [784], units: 64, activation: 'relu', ...seeded(11) }),
      tfl.layers.dense({ units: 64, activation: 'relu', ...seeded(12) }),
      tfl.layers.dense({ units: 10, ...seeded(13) }),
    ],
  })
  const ends = Array.from({ length: segments }, (_, s) => [
    tf.randomUniform([1, 784], 0, 1, 'float32', 2 * s + 1),
    tf.randomUniform([1, 784], 0, 1, 'float32', 2 * s + 2),
  ])
  let found = 0
  let naiveFound = 0
  const t = await interleave(
    {
      walk: async () => {
        found = 0
        for (const [a, b] of ends) found += (await regionsAlong(model, a, b, { tolerance })).regions
      },
      dense: async () => {
        naiveFound = 0
        for (const [a, b] of ends) naiveFound += await denseSampling(model, a, b, Math.round(1 / tolerance))
      },
    },
    { rounds, warmup: 0 },
  )
  tf.dispose(ends.flat())
  return {
    segments,
    tolerance,
    regions: found,
    agree: found === naiveFound,
    regionsPerSec: Math.round(found / (t.walk / 1000)),
    denseRegionsPerSec: Math.round(naiveFound / (t.dense / 1000)),
    speedup: t.dense / t.walk,
  }
}

export async function regionsBench({ smoke = false } = {}) {
  const plainHistogram = {}
  for (const units of [2048, 10240]) {
    const batch = patterns(smoke ? 2_000 : 50_000, units, 20_000, 7)
    const h = patternHistogram({ maxBytes: 2 ** 30 })
    const t = await interleave({ fast: () => h.result(h.update(h.init(layoutOf(units)), batch)) }, { rounds: smoke ? 1 : 5, warmup: 1 })
    plainHistogram[units] = Math.round(batch.rows / (t.fast / 1000))
  }
  const mlp = await networkSite(wide, [784], smoke ? 256 : 4096, smoke ? 1 : 5)
  const cnn = await networkSite(convs, [16, 16, 1], smoke ? 64 : 1024, smoke ? 1 : 5)
  const along = await alongBench(smoke ? { segments: 1, tolerance: 1e-3, rounds: 1 } : { segments: 4, tolerance: 1e-4, rounds: 3 })
  return { histogramPatternsPerSec: plainHistogram, networkSite: { mlp, cnn }, along }
}
