import * as tf from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'
import '@tensorflow/tfjs-backend-cpu'
import { setThreadsCount } from '@tensorflow/tfjs-backend-wasm'
import { registerWasmConvGradients } from './wasm-conv.mjs'
registerWasmConvGradients()
const [backend, widthArg, bnArg] = process.argv.slice(2)
await tf.setBackend(backend)
console.log(tf.getBackend())
const w = Number(widthArg ?? 16)
function net() {
  const input = tfl.input({ shape: [28, 28, 1] })
  let x = tfl.layers.conv2d({ filters: w, kernelSize: 3, padding: 'same' }).apply(input)
  x = tfl.layers.averagePooling2d({ poolSize: 2 }).apply(x)
  for (const [stage, width] of [[0, w], [1, 2 * w]]) {
    if (stage > 0) x = tfl.layers.averagePooling2d({ poolSize: 2 }).apply(x)
    for (let b = 0; b < 2; b++) {
      let h = x
      if (bnArg) h = tfl.layers.batchNormalization({}).apply(h)
      h = tfl.layers.reLU({}).apply(h)
      h = tfl.layers.conv2d({ filters: width, kernelSize: 3, padding: 'same' }).apply(h)
      if (bnArg) h = tfl.layers.batchNormalization({}).apply(h)
      h = tfl.layers.reLU({}).apply(h)
      h = tfl.layers.conv2d({ filters: width, kernelSize: 3, padding: 'same' }).apply(h)
      const sc = x.shape[3] === width ? x : tfl.layers.conv2d({ filters: width, kernelSize: 1 }).apply(x)
      x = tfl.layers.add({}).apply([h, sc])
    }
  }
  x = tfl.layers.reLU({}).apply(x)
  x = tfl.layers.globalAveragePooling2d({}).apply(x)
  const out = tfl.layers.dense({ units: 10, activation: 'softmax' }).apply(x)
  const m = tfl.model({ inputs: input, outputs: out })
  m.compile({ optimizer: tf.train.momentum(0.05, 0.9), loss: 'categoricalCrossentropy' })
  return m
}
const m = net()
const xs = tf.randomUniform([640, 28, 28, 1]), ys = tf.oneHot(tf.randomUniform([640], 0, 10, 'int32'), 10)
await m.fit(tf.slice(xs, 0, 64), tf.slice(ys, 0, 64), { epochs: 1, batchSize: 64, verbose: 0 })
const t = performance.now()
await m.fit(xs, ys, { epochs: 1, batchSize: 64, verbose: 0 })
const ms = (performance.now() - t) / 10
console.log(`${backend} w${w} bn=${!!bnArg}: ${ms.toFixed(0)} ms/step(64) → ${(ms * 60000 / 64 / 1000 / 60).toFixed(1)} min/epoch`)
const prof = await tf.profile(async () => { await m.fit(tf.slice(xs, 0, 64), tf.slice(ys, 0, 64), { epochs: 1, batchSize: 64, verbose: 0 }) })
const by = {}
for (const k of prof.kernels) by[k.name] = (by[k.name] ?? 0) + (typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0)
console.log(Object.entries(by).sort((a, b) => b[1] - a[1]).slice(0, 15).map(([k, v]) => `${k} ${v.toFixed(1)}`).join('\n'))
