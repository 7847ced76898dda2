// The web worker script of web-workers.test.ts: the backends the page uses, then
// serveWorker. Its query picks a behaviour: `late` awaits before serving (a top-level
// await, as a script that waits for tf.ready() does), `never` does not serve, `custom`
// serves a custom reducer's factory, `chatty` posts a message of its own first.
import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-cpu'
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm'
import { serveWorker } from '../../src/workers/web.js'
import { rowCount } from './row-count.js'

setWasmPaths('/')
const mode = new URLSearchParams(self.location.search)
if (mode.has('late')) {
  await tf.ready()
  await new Promise((resolve) => setTimeout(resolve, 300))
}
if (mode.has('chatty')) self.postMessage('loading…') // a script's own message, not the pool's
if (mode.has('custom')) serveWorker({ reducers: { rowCount } })
else if (!mode.has('never')) serveWorker()
