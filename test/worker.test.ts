import { Worker } from 'node:worker_threads'
import { test } from 'vitest'
import { layoutOf, patternHistogram, unitStats } from '../src/index.js'
import { batchOf } from './helpers/batches.js'
import { expectClose } from './helpers/close.js'

// The worker receives states by postMessage (structured clone) and posts them straight
// back; the main thread merges what came back with its own. Plain-data states must
// survive the trip and merge like the originals.
const echo = `
const { parentPort } = require('node:worker_threads')
parentPort.on('message', (m) => { parentPort.postMessage(m); parentPort.close() })
`

test('states sent through worker postMessage merge like the originals', async () => {
  const h = patternHistogram()
  const u = unitStats()
  const rowsA = Array.from({ length: 50 }, (_, i) => Array.from({ length: 40 }, (_, b) => (i * 31 + b * 7) % 5 < 2))
  const rowsB = Array.from({ length: 30 }, (_, i) => Array.from({ length: 40 }, (_, b) => (i * 13 + b * 3) % 4 < 2))
  const a = { h: h.update(h.init(layoutOf(40)), batchOf(rowsA, 40)), u: u.update(u.init(layoutOf(40)), batchOf(rowsA, 40)) }
  const b = { h: h.update(h.init(layoutOf(40)), batchOf(rowsB, 40)), u: u.update(u.init(layoutOf(40)), batchOf(rowsB, 40)) }
  const worker = new Worker(echo, { eval: true })
  const back = await new Promise<typeof b>((resolve, reject) => {
    worker.once('message', resolve)
    worker.once('error', reject)
    worker.postMessage(b)
  })
  await worker.terminate()
  const all = batchOf([...rowsA, ...rowsB], 40)
  expectClose(h.result(h.merge(a.h, back.h)), h.result(h.update(h.init(layoutOf(40)), all)))
  expectClose(u.result(u.merge(a.u, back.u)), u.result(u.update(u.init(layoutOf(40)), all)))
})
