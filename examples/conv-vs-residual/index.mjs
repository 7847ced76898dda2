// A plain CNN, the same network with residual shortcuts, and a constant-width "toy"
// variant, trained briefly on MNIST on the cpu backend; heatmaps side by side.
//
//   node examples/conv-vs-residual/index.mjs [--train 2000] [--epochs 2] [--every 0.25] [--blocks 2] [--out examples/conv-vs-residual/out]
//
// Patterns are taken per spatial position (the channel vector), as in Hartmann et al.
// (2021). See docs/findings.md for what runs of this example show.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-cpu'
import * as tfl from '@tensorflow/tfjs-layers'
import { instrument, trainingCallback } from 'relu-patterns'
import { heatmap, sideBySide } from 'relu-patterns/vega'
import { loadMnist } from '../lib/mnist.mjs'
import { writeSvg } from '../lib/render.mjs'

const { values: args } = parseArgs({
  options: {
    train: { type: 'string', default: '2000' },
    epochs: { type: 'string', default: '2' },
    every: { type: 'string', default: '0.25' },
    blocks: { type: 'string', default: '2' },
    probe: { type: 'string', default: '200' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string', default: 'examples/conv-vs-residual/out' },
  },
})
await tf.setBackend('cpu')
mkdirSync(args.out, { recursive: true })

/** Stem conv (stride 2), then two stages of `blocks` blocks of two 3x3 convs; GAP; dense. */
function network({ residual, widths, blocks, seed }) {
  let n = 0
  const init = () => tfl.initializers.heNormal({ seed: seed * 100 + n++ })
  const conv = (filters, strides, activation, name) =>
    tfl.layers.conv2d({ filters, kernelSize: 3, strides, padding: 'same', activation, kernelInitializer: init(), name })
  const input = tfl.input({ shape: [28, 28, 1] })
  let x = conv(widths[0], 2, 'relu', 'stem').apply(input)
  widths.forEach((width, stage) => {
    for (let b = 0; b < blocks; b++) {
      const strides = b === 0 && stage > 0 ? 2 : 1
      const tag = `s${stage + 1}b${b + 1}`
      let h = conv(width, strides, 'relu', `${tag}_conv1`).apply(x)
      h = conv(width, 1, 'linear', `${tag}_conv2`).apply(h)
      if (residual) {
        const changes = strides !== 1 || (stage > 0 && b === 0 && widths[stage - 1] !== width)
        const shortcut = changes
          ? tfl.layers.conv2d({ filters: width, kernelSize: 1, strides, kernelInitializer: init(), name: `${tag}_proj` }).apply(x)
          : x
        h = tfl.layers.add({ name: `${tag}_add` }).apply([h, shortcut])
      }
      x = tfl.layers.reLU({ name: `${tag}_out` }).apply(h)
    }
  })
  const pooled = tfl.layers.globalAveragePooling2d({}).apply(x)
  const output = tfl.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: init() }).apply(pooled)
  const model = tfl.model({ inputs: input, outputs: output })
  model.compile({ optimizer: tf.train.momentum(0.05, 0.9), loss: 'categoricalCrossentropy', metrics: ['accuracy'] })
  return model
}

const blocks = Number(args.blocks)
const variants = {
  plain: { residual: false, widths: [8, 16] },
  residual: { residual: true, widths: [8, 16] },
  toy: { residual: false, widths: [12, 12] },
}

const train = loadMnist('train', 0, Number(args.train))
const test = loadMnist('test', 0, Number(args.probe))
const xs = tf.tensor4d(train.pixels, [train.count, 28, 28, 1])
const ys = tf.oneHot(tf.tensor1d(train.labels, 'int32'), 10)
const probeSet = tf.tensor4d(test.pixels, [test.count, 28, 28, 1])

const timelines = {}
for (const [name, config] of Object.entries(variants)) {
  const model = network({ ...config, blocks, seed: Number(args.seed) })
  const probe = instrument(model)
  const schedule = trainingCallback(probe, { every: { epochs: Number(args.every) }, measure: probeSet, batchSize: 100 })
  const started = Date.now()
  const h = await model.fit(xs, ys, { epochs: Number(args.epochs), batchSize: 32, verbose: 0, callbacks: [schedule], seed: Number(args.seed) })
  console.log(`${name.padEnd(9)} ${probe.sites.length} sites, accuracy ${h.history.acc.at(-1).toFixed(3)}, ` +
    `${schedule.timeline.entries.length} measurements, ${((Date.now() - started) / 1000).toFixed(0)} s`)
  timelines[name] = schedule.timeline
  writeFileSync(join(args.out, `${name}.csv`), schedule.timeline.toCSV({ against: ['first', 'final'] }))
  writeFileSync(join(args.out, `${name}.timeline.txt`), schedule.timeline.stringify()) // Timeline.parse() reads it back
  probe.dispose()
  model.dispose()
}

const names = Object.keys(timelines)
for (const [metric, title, file] of [
  ['patterns.normalizedEntropy', 'normalised pattern entropy', 'entropy.svg'],
  ['vsFinal.weightedJaccard', 'weighted Jaccard vs final', 'jaccard-vs-final.svg'],
]) {
  const spec = sideBySide(names.map((n) => heatmap(timelines[n], { metric, x: 'epoch', width: 260 })), { titles: names, title })
  console.log(`wrote ${await writeSvg(spec, join(args.out, file))}`)
}

// A compact summary for docs/findings.md: per site, the first epoch at which weighted
// Jaccard against the final measurement reaches 0.5, and the smallest normalised entropy.
for (const n of names) {
  const t = timelines[n]
  const vsFinal = t.compare('final')
  const sites = Object.keys(t.entries[0].results)
  const reach = sites.map((s) => {
    const i = vsFinal.findIndex((c) => (c?.[s]?.weightedJaccard ?? 0) >= 0.5)
    return i < 0 ? '-' : t.entries[i].epoch.toFixed(2)
  })
  const dips = sites.map((s) => Math.min(...t.entries.map((e) => e.results[s].patterns.normalizedEntropy)).toFixed(2))
  console.log(`${n.padEnd(9)} wJ>=0.5 at epoch: ${reach.join(' ')}`)
  console.log(`${''.padEnd(9)} min H/Hmax:        ${dips.join(' ')}`)
}
tf.dispose([xs, ys, probeSet])
