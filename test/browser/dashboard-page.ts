// Runs inside headless Chromium (bundled by dashboard.test.ts): an application page that
// trains an MLP with the live view mounted in its own element.
import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-cpu'
import * as tfl from '@tensorflow/tfjs-layers'
import { mountDashboard } from '../../src/dashboard/index.js'
import { instrument, trainingCallback } from '../../src/index.js'

declare global {
  interface Window {
    /** Trains one more round; per batch, the cells the view showed when the batch ended. */
    __fit: (epochs: number) => Promise<number[]>
    __unmount: () => void
    __ready: boolean
  }
}

await tf.setBackend('cpu')
const model = tfl.sequential({
  layers: [
    tfl.layers.dense({ inputShape: [12], units: 40, activation: 'relu' }),
    tfl.layers.dense({ units: 30, activation: 'relu' }),
    tfl.layers.dense({ units: 3, activation: 'softmax' }),
  ],
})
model.compile({ optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy', metrics: ['accuracy'] })
const xs = tf.randomNormal([64, 12], 0, 1, 'float32', 3)
const ys = tf.oneHot(tf.randomUniform([64], 0, 3, 'int32', 4) as tf.Tensor1D, 3)
const probe = instrument(model)
const schedule = trainingCallback(probe, { every: { batches: 2 }, measure: xs, keep: 'patterns' })
const element = document.getElementById('patterns')!
window.__unmount = mountDashboard(element, schedule)
const cells = (): number => Array.from(element.querySelectorAll('svg title')).filter((t) => t.parentElement?.tagName === 'rect').length
window.__fit = async (epochs) => {
  const seen: number[] = []
  // the application's own callback, a plain object beside the schedule
  const own = { onBatchEnd: async () => void seen.push(cells()) }
  await model.fit(xs, ys, { epochs, batchSize: 8, verbose: 0, callbacks: [schedule, own] })
  return seen
}
window.__ready = true
