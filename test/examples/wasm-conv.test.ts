// The convolution gradients the training examples register for wasm must equal the cpu
// backend's, for every stride, padding and kernel size, and free what they allocate.
import '@tensorflow/tfjs-backend-wasm'
import { expect, test } from 'vitest'
import { registerWasmConvGradients } from '../../examples/lib/wasm-conv.mjs'
import { tf } from '../helpers/tf.js'

type Case = { k: number; s: number; pad: 'same' | 'valid'; h: number; w: number; c: number; f: number }
const cases: Case[] = []
for (const k of [1, 3, 5])
  for (const s of [1, 2, 3])
    for (const pad of ['same', 'valid'] as const) {
      cases.push({ k, s, pad, h: 9, w: 8, c: 3, f: 4 }, { k, s, pad, h: 10, w: 11, c: 1, f: 2 })
    }

function gradients(c: Case) {
  return tf.tidy(() => {
    const x = tf.randomNormal([2, c.h, c.w, c.c], 0, 1, 'float32', 7)
    const filter = tf.randomNormal([c.k, c.k, c.c, c.f], 0, 1, 'float32', 8)
    const bias = tf.randomNormal([c.f], 0, 1, 'float32', 9)
    // a fused conv with bias and relu, as tfjs-layers runs it, and a plain one
    const loss = (a: tf.Tensor, b: tf.Tensor) =>
      tf.add(
        tf.sum(
          tf.square(tf.fused.conv2d({ x: a as tf.Tensor4D, filter: b as tf.Tensor4D, strides: c.s, pad: c.pad, bias, activation: 'relu' })),
        ),
        tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.s, c.pad)),
      )
    const [dx, dw] = tf.grads(loss)([x, filter])
    return [dx!.dataSync(), dw!.dataSync()] as const
  })
}

function maxRelativeError(a: ArrayLike<number>, b: ArrayLike<number>) {
  let diff = 0
  let scale = 0
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!))
    scale = Math.max(scale, Math.abs(a[i]!))
  }
  return diff / scale
}

test('wasm convolution gradients equal the cpu backend and leak nothing', async () => {
  await tf.setBackend('cpu')
  const reference = cases.map(gradients)
  registerWasmConvGradients()
  registerWasmConvGradients() // idempotent
  await tf.setBackend('wasm')
  gradients(cases[0]!) // warm up
  const tensors = tf.memory().numTensors
  const buffers = tf.engine().backend.numDataIds()
  cases.forEach((c, i) => {
    const [dx, dw] = gradients(c)
    expect(dx.length, JSON.stringify(c)).toBe(reference[i]![0].length)
    expect(maxRelativeError(reference[i]![0], dx), `dx ${JSON.stringify(c)}`).toBeLessThan(1e-5)
    expect(maxRelativeError(reference[i]![1], dw), `dw ${JSON.stringify(c)}`).toBeLessThan(1e-5)
  })
  expect(tf.memory().numTensors).toBe(tensors)
  expect(tf.engine().backend.numDataIds()).toBe(buffers)
  await tf.setBackend('cpu')
})

test('wasm Tile as a block copy equals the cpu backend', async () => {
  registerWasmConvGradients()
  const shapes: [number[], number[]][] = [
    [
      [1, 1, 1, 5],
      [2, 3, 4, 1],
    ],
    [
      [1, 3],
      [4, 1],
    ],
    [
      [2, 3],
      [2, 2],
    ],
    [
      [1, 2, 3],
      [3, 1, 2],
    ],
    [[4], [3]],
    [
      [1, 3],
      [0, 1],
    ],
    [
      [1, 1, 2],
      [2, 0, 1],
    ],
  ]
  for (const [shape, reps] of shapes) {
    const values = Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i * 1.5 - 2)
    const run = async (backend: string) => {
      await tf.setBackend(backend)
      return tf.tidy(() => tf.tile(tf.tensor(values, shape), reps).dataSync())
    }
    const cpu = await run('cpu')
    expect(Array.from(await run('wasm')), `${shape} x ${reps}`).toEqual(Array.from(cpu))
  }
  await tf.setBackend('cpu')
})
