// Recording during a graph model's own predict: nsfwjs's MobileNetV2 (a converted graph
// model with 35 fused Relu6 sites, 224x224 inputs), instrumented vs plain, interleaved.
import { createRequire } from 'node:module'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import * as tfc from '@tensorflow/tfjs-converter'
import { instrument } from 'relu-patterns'
import { interleave, pairedRatio } from './harness.mjs'

const require = createRequire(import.meta.url)

async function mobilenet() {
  const dir = join(
    import.meta.dirname ?? new URL('.', import.meta.url).pathname,
    '..',
    'node_modules',
    'nsfwjs',
    'dist',
    'models',
    'mobilenet_v2_mid',
  )
  const json = require(join(dir, 'model.min.js'))
  const shard = (p) => {
    const s = require(join(dir, `${p}.min.js`))
    return Buffer.from(typeof s === 'string' ? s : s.default, 'base64')
  }
  return tfc.loadGraphModel({
    load: async () =>
      tf.io.getModelArtifactsForJSON(json, async (m) => [
        m.flatMap((g) => g.weights),
        tf.io.concatenateArrayBuffers(
          m.flatMap((g) => g.paths.map(shard)).map((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)),
        ),
      ]),
  })
}

/**
 * Ratio of instrumented to plain predict time. The second run of each back-to-back pair
 * is about 10% faster here whichever it is (caches, collection), so pairs are run in both
 * orders and the result is the geometric mean of the two paired medians.
 */
export async function graphOverhead({ rounds, batch }) {
  const plain = await mobilenet()
  const tapped = await mobilenet()
  const probe = instrument(tapped)
  const x = tf.randomUniform([batch, 224, 224, 3], 0, 1, 'float32', 1)
  const run = (m) => () => tf.dispose(m.predict(x))
  const a = await interleave({ plain: run(plain), tapped: run(tapped) }, { rounds, warmup: 1 })
  const b = await interleave({ tapped: run(tapped), plain: run(plain) }, { rounds, warmup: 0 })
  const plainFirst = pairedRatio(a, 'tapped', 'plain')
  const tappedFirst = pairedRatio(b, 'tapped', 'plain')
  const sites = probe.sites.length
  probe.dispose()
  x.dispose()
  plain.dispose()
  tapped.dispose()
  return { ratio: Math.sqrt(plainFirst * tappedFirst), plainFirst, tappedFirst, plainMs: a.plain, sites }
}

/** The node that ends MobileNetV2's first inverted-residual block. */
const FIRST_BLOCK =
  'StatefulPartitionedCall/sequential/keras_layer/StatefulPartitionedCall/StatefulPartitionedCall/StatefulPartitionedCall/predict/MobilenetV2/expanded_conv/project/BatchNorm/FusedBatchNormV3'

/**
 * Ratio of instrumented to plain `execute(x, firstBlock)`: a partial execution records
 * the two sites above the node and computes nothing else. Pairs in both orders, as above.
 */
export async function partialOverhead({ rounds, batch }) {
  const plain = await mobilenet()
  const tapped = await mobilenet()
  const probe = instrument(tapped)
  const x = tf.randomUniform([batch, 224, 224, 3], 0, 1, 'float32', 1)
  const run = (m) => () => tf.dispose(m.execute(x, FIRST_BLOCK))
  const a = await interleave({ plain: run(plain), tapped: run(tapped) }, { rounds, warmup: 1 })
  const b = await interleave({ tapped: run(tapped), plain: run(plain) }, { rounds, warmup: 0 })
  const plainFirst = pairedRatio(a, 'tapped', 'plain')
  const tappedFirst = pairedRatio(b, 'tapped', 'plain')
  const results = probe.results()
  const recorded = probe.sites.filter((s) => results[s.id].units.rows > 0).length
  probe.dispose()
  x.dispose()
  plain.dispose()
  tapped.dispose()
  return { ratio: Math.sqrt(plainFirst * tappedFirst), plainFirst, tappedFirst, plainMs: a.plain, recorded }
}
