// Scaled-down versions of the three families of Hartmann et al. (2021), for 28x28 inputs:
// - resnet: pre-activation residual blocks (BN, ReLU, conv, BN, ReLU, conv, plus the
//   input; a 1x1 projection where the width changes), stem conv, two stages of `blocks`
//   blocks with widths w and 2w, a final BN and ReLU, global average pooling, softmax;
// - plain: the same without the shortcuts;
// - toy: plain at a constant width w.
// Downsampling is a 2x2 average pooling before each stage (the paper's networks use
// stride-2 convolutions; on wasm their input gradient is a plain loop, see
// ../lib/wasm-conv.mjs). Every ReLU is its own layer, so each is one site.
import * as tf from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'

export const FAMILIES = ['resnet', 'plain', 'toy']

/** Builds and compiles the network of `family` (SGD with momentum 0.9; the rate is set per step). */
export function network({ family, width, blocks, seed }) {
  if (!FAMILIES.includes(family)) throw new Error(`--family must be one of ${FAMILIES.join(', ')}, not ${family}`)
  let n = 0
  const init = () => tfl.initializers.heNormal({ seed: seed * 1000 + n++ })
  const conv = (filters, kernelSize, name) => tfl.layers.conv2d({ filters, kernelSize, padding: 'same', kernelInitializer: init(), name })
  const bn = (name) => tfl.layers.batchNormalization({ name })
  const relu = (name) => tfl.layers.reLU({ name })
  const widths = family === 'toy' ? [width, width] : [width, 2 * width]

  const input = tfl.input({ shape: [28, 28, 1] })
  let x = conv(width, 3, 'stem').apply(input)
  widths.forEach((w, stage) => {
    x = tfl.layers.averagePooling2d({ poolSize: 2, name: `pool${stage + 1}` }).apply(x)
    for (let b = 0; b < blocks; b++) {
      const tag = `s${stage + 1}b${b + 1}`
      let h = relu(`${tag}_relu1`).apply(bn(`${tag}_bn1`).apply(x))
      h = conv(w, 3, `${tag}_conv1`).apply(h)
      h = relu(`${tag}_relu2`).apply(bn(`${tag}_bn2`).apply(h))
      h = conv(w, 3, `${tag}_conv2`).apply(h)
      if (family === 'resnet') {
        const shortcut = x.shape[3] === w ? x : conv(w, 1, `${tag}_proj`).apply(x)
        h = tfl.layers.add({ name: `${tag}_add` }).apply([h, shortcut])
      }
      x = h
    }
  })
  x = relu('final_relu').apply(bn('final_bn').apply(x))
  x = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(x)
  const output = tfl.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: init(), name: 'classifier' }).apply(x)
  const model = tfl.model({ inputs: input, outputs: output })
  model.compile({ optimizer: tf.train.momentum(0.1, 0.9), loss: 'categoricalCrossentropy', metrics: ['accuracy'] })
  return model
}
