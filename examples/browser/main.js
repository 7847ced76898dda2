import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-webgl'
import '@tensorflow/tfjs-backend-cpu'
import * as tfl from '@tensorflow/tfjs-layers'
import { instrument, trainingCallback } from 'relu-patterns'

const params = new URLSearchParams(location.search)
const epochs = Number(params.get('epochs') ?? 3)
const status = document.getElementById('status')
const canvas = document.getElementById('heatmap')
const ctx = canvas.getContext('2d')

async function load(name, n) {
  const bytes = new Uint8Array(await (await fetch(`./${name}`)).arrayBuffer())
  const xs = tf.tidy(() => tf.div(tf.tensor2d(bytes.subarray(0, n * 784), [n, 784], 'float32'), 255))
  const labels = Array.from(bytes.subarray(n * 784, n * 785))
  return { xs, labels }
}

// viridis-like ramp: dark blue -> teal -> yellow
function colour(v) {
  const stops = [
    [68, 1, 84],
    [59, 82, 139],
    [33, 145, 140],
    [94, 201, 98],
    [253, 231, 37],
  ]
  const t = Math.min(1, Math.max(0, v)) * (stops.length - 1)
  const i = Math.min(stops.length - 2, Math.floor(t))
  const f = t - i
  return `rgb(${stops[i].map((c, k) => Math.round(c + f * (stops[i + 1][k] - c))).join(',')})`
}

function draw(timeline, sites, maxColumns) {
  const w = canvas.width / maxColumns
  const h = canvas.height / sites.length
  timeline.entries.forEach((entry, col) => {
    sites.forEach((site, row) => {
      ctx.fillStyle = colour(entry.results[site.id].patterns.normalizedEntropy)
      ctx.fillRect(col * w, row * h, Math.ceil(w), Math.ceil(h))
    })
  })
  canvas.dataset.points = String(timeline.entries.length)
}

async function main() {
  await tf.setBackend(params.get('backend') ?? 'webgl')
  document.getElementById('backend').textContent = tf.getBackend()
  const train = await load('mnist-train-3000.bin', 3000)
  const test = await load('mnist-test-500.bin', 500)
  const ys = tf.oneHot(tf.tensor1d(train.labels, 'int32'), 10)

  const model = tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [784], units: 128, activation: 'relu', name: 'dense1' }),
      tfl.layers.dense({ units: 64, activation: 'relu', name: 'dense2' }),
      tfl.layers.dense({ units: 32, activation: 'relu', name: 'dense3' }),
      tfl.layers.dense({ units: 10, activation: 'softmax', name: 'out' }),
    ],
  })
  model.compile({ optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy', metrics: ['accuracy'] })
  const probe = instrument(model)
  document.getElementById('labels').innerHTML = probe.sites.map((s) => `<div>${s.id}</div>`).join('')
  canvas.height = 40 * probe.sites.length

  const every = 10
  const maxColumns = Math.ceil((epochs * Math.ceil(3000 / 64)) / every) + 2
  const schedule = trainingCallback(probe, {
    every: { batches: every },
    measure: test.xs,
    batchSize: 250,
    keep: 'results',
    onPoint: (entry) => {
      draw(schedule.timeline, probe.sites, maxColumns)
      status.textContent = `step ${entry.step}: ${schedule.timeline.entries.length} measurements`
    },
  })
  const history = await model.fit(train.xs, ys, { epochs, batchSize: 64, callbacks: [schedule], yieldEvery: 'batch' })
  const acc = history.history.acc.at(-1)
  status.textContent = `done: ${schedule.timeline.entries.length} measurements, accuracy ${acc.toFixed(3)}, ${tf.memory().numTensors} tensors alive`
  window.__demo = { points: schedule.timeline.entries.length, done: true, accuracy: acc, csv: schedule.timeline.toCSV() }
  probe.dispose()
}

main().catch((e) => {
  status.textContent = `error: ${e.message}`
  window.__demo = { error: String(e.stack ?? e) }
})
