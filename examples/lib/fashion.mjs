// Reads Fashion-MNIST from Debian's dataset-fashion-mnist package (gzipped idx files).
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'

export const FASHION_DIR = '/usr/share/datasets/fashion-mnist'

/** True when the Debian package is installed. */
export function hasFashion() {
  return existsSync(join(FASHION_DIR, 't10k-images-idx3-ubyte.gz'))
}

/** `count` test images from `start`, pixels in [0, 1] (count x 784). */
export function loadFashion(start, count) {
  const images = gunzipSync(readFileSync(join(FASHION_DIR, 't10k-images-idx3-ubyte.gz')))
  const total = images.readUInt32BE(4)
  if (start + count > total) throw new Error(`Fashion-MNIST test has ${total} images, asked for ${start + count}`)
  const pixels = new Float32Array(count * 784)
  const offset = 16 + start * 784
  for (let i = 0; i < pixels.length; i++) pixels[i] = images[offset + i] / 255
  return { pixels, count }
}

/**
 * `count` examples from `start` of the 'train' or 'test' split with their labels (0-9),
 * in the shape `loadMnist` returns.
 */
export function loadFashionSplit(split, start, count) {
  const prefix = split === 'train' ? 'train' : 't10k'
  const images = gunzipSync(readFileSync(join(FASHION_DIR, `${prefix}-images-idx3-ubyte.gz`)))
  const labels = gunzipSync(readFileSync(join(FASHION_DIR, `${prefix}-labels-idx1-ubyte.gz`)))
  const total = images.readUInt32BE(4)
  if (start + count > total) throw new Error(`Fashion-MNIST ${split} has ${total} examples, asked for ${start + count}`)
  const pixels = new Float32Array(count * 784)
  const offset = 16 + start * 784
  for (let i = 0; i < pixels.length; i++) pixels[i] = images[offset + i] / 255
  const y = new Int32Array(count)
  for (let i = 0; i < count; i++) y[i] = labels[8 + start + i]
  return { pixels, labels: y, count }
}
