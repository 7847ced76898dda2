// The web worker script of web-workers.test.ts: the backends the page uses, then serveWorker.
import '@tensorflow/tfjs-backend-cpu'
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm'
import { serveWorker } from '../../src/workers/web.js'

setWasmPaths('/')
serveWorker()
