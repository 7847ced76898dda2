import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { instrument } from '../../src/index.js'
import { fromDisk, toDisk } from '../../examples/lib/files.mjs'
import { collect, signRows, tf, tfl, unpackRows, useCpu } from '../helpers/tf.js'

let dir = ''
beforeAll(async () => {
  await useCpu()
  dir = await mkdtemp(join(tmpdir(), 'relu-patterns-'))
})
afterAll(() => rm(dir, { recursive: true, force: true }))

test('a model loaded with tf.loadLayersModel from model.json + weights is instrumented like the original', async () => {
  const inner = tfl.sequential({
    name: 'block',
    layers: [tfl.layers.conv2d({ inputShape: [6, 6, 2], filters: 33, kernelSize: 3, activation: 'relu6', name: 'conv' })],
  })
  const input = tfl.input({ shape: [6, 6, 2] })
  const flat = tfl.layers.flatten().apply(inner.apply(input) as never)
  const hidden = tfl.layers.dense({ units: 35, name: 'hidden' }).apply(flat)
  const out = tfl.layers.reLU({ name: 'act' }).apply(hidden)
  const original = tfl.model({ inputs: input, outputs: out as never })
  await original.save(toDisk(dir))

  const loaded = await tfl.loadLayersModel(fromDisk(join(dir, 'model.json')))
  const probe = instrument(loaded, { reducers: { bits: collect() } })
  expect(probe.sites.map((s) => [s.id, s.className, s.activation, s.units, s.positions])).toEqual([
    ['block/conv', 'Conv2D', 'relu6', 33, 16],
    ['act', 'ReLU', 'relu', 35, 1],
  ])
  const x = tf.randomNormal([4, 6, 6, 2], 0, 1, 'float32', 3)
  const fromLoaded = await probe.measure(x)
  const reference = instrument(original, { reducers: { bits: collect() } })
  const fromOriginal = await reference.measure(x)
  expect(fromLoaded['act']!.bits.words).toEqual(fromOriginal['act']!.bits.words)
  expect(fromLoaded['block/conv']!.bits.words).toEqual(fromOriginal['block/conv']!.bits.words)
  const y = loaded.predict(x) as tf.Tensor
  expect(unpackRows(fromLoaded['act']!.bits)).toEqual(signRows(y.dataSync(), 35))
  probe.dispose()
  reference.dispose()
  tf.dispose([x, y])
})
