import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-layers'
import '@tensorflow/tfjs-backend-wasm'
import { registerWasmConvGradients } from './wasm-conv.mjs'
registerWasmConvGradients()
await tf.setBackend('wasm')
const N = 64
for (const [H, C, F] of [[28, 1, 16], [14, 16, 16], [7, 32, 32]]) {
  const x = tf.randomNormal([N, H, H, C]), w = tf.randomNormal([3, 3, C, F]), dy = tf.randomNormal([N, H, H, F])
  const time = (name, f) => { let y = f(); y.dataSync(); y.dispose(); const t = performance.now(); for (let i = 0; i < 5; i++) { y = f(); y.dataSync(); y.dispose() }; console.log(H, C, F, name, ((performance.now() - t) / 5).toFixed(1), 'ms') }
  time('fwd', () => tf.conv2d(x, w, 1, 'same'))
  time('dx', () => tf.conv2dTranspose(dy, w, [N, H, H, C], 1, 'same'))
  time('dw', () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape: [3, 3, C, F] }))
}
