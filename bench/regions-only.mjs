// npm run bench:regions: the whole-network and linear-region part of the suite on its own (wasm).
import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-cpu'
import '@tensorflow/tfjs-backend-wasm'
import { regionsBench } from './regions.mjs'
await tf.setBackend('wasm')
console.log(JSON.stringify(await regionsBench({ smoke: process.argv.includes('--smoke') })))
