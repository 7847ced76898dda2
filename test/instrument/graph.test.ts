import { beforeAll, describe, expect, test } from 'vitest'
import { instrument } from '../../src/index.js'
import { loadHuman, loadNsfwMobilenet } from '../helpers/graph-models.js'
import { collect, signRows, tf, unpackRows, useCpu } from '../helpers/tf.js'

beforeAll(useCpu)

type Graph = Awaited<ReturnType<typeof loadHuman>>

/** Brute force: the same graph executed with the site nodes as outputs, signs in NHWC order. */
function bruteForce(model: Graph, x: tf.Tensor, ids: string[], units: number[]): boolean[][][] {
  const out = model.execute(x, ids)
  const list = Array.isArray(out) ? out : [out]
  const rows = list.map((t, i) => signRows(t.dataSync(), units[i]!))
  tf.dispose(list)
  return rows
}

async function checkModel(model: Graph, x: tf.Tensor, expectOps: Record<string, number>) {
  const plainOut = model.predict(x) as tf.Tensor
  const plain = Array.from(plainOut.dataSync())
  plainOut.dispose()
  const executorKeys = Object.getOwnPropertyNames((model as unknown as { executor: object }).executor).sort()
  const probe = instrument(model, { reducers: { bits: collect() } })
  const ops: Record<string, number> = {}
  for (const s of probe.sites) ops[s.className] = (ops[s.className] ?? 0) + 1
  expect(ops).toEqual(expectOps)
  const ids = probe.sites.map((s) => s.id)
  const want = bruteForce(model, x, ids, probe.sites.map((s) => s.units))
  probe.reset() // the brute-force execution was recorded too
  const tensors = tf.memory().numTensors
  const out = model.predict(x) as tf.Tensor
  expect(Array.from(out.dataSync())).toEqual(plain)
  out.dispose()
  expect(tf.memory().numTensors).toBe(tensors)
  const results = probe.results()
  ids.forEach((id, i) => expect(unpackRows(results[id]!.bits), id).toEqual(want[i]))
  const measured = await probe.measure(x, { batchSize: 1 })
  ids.forEach((id, i) => expect(unpackRows(measured[id]!.bits), id).toEqual(want[i]))
  expect(tf.memory().numTensors).toBe(tensors)
  probe.dispose()
  expect(Object.getOwnPropertyNames((model as unknown as { executor: object }).executor).sort()).toEqual(executorKeys)
  return probe
}

describe('real converted graph models from npm packages', () => {
  test('@vladmandic/human antispoof: standalone Relu and a _FusedMatMul with a fused Relu', async () => {
    const model = await loadHuman('antispoof')
    const x = tf.randomUniform([2, 128, 128, 3], 0, 1, 'float32', 3)
    const probe = await checkModel(model, x, { Relu: 3, _FusedMatMul: 1 })
    expect(probe.sites.find((s) => s.className === 'Relu')).toMatchObject({ granularity: 'position', dataFormat: 'channelsLast' })
    x.dispose()
    model.dispose()
  })

  test('nsfwjs MobileNetV2 (converter 1.7.4): fused Relu6 in depthwise and 2-D convolutions, with saturation planes', async () => {
    const model = await loadNsfwMobilenet()
    const x = tf.randomUniform([1, 224, 224, 3], 0, 1, 'float32', 4)
    await checkModel(model, x, { FusedDepthwiseConv2dNative: 17, _FusedConv2D: 18 })
    const probe = instrument(model, { saturation: true, reducers: { bits: collect() } })
    expect(probe.sites.filter((s) => s.plane === 'saturation').length).toBe(35)
    const sat = probe.sites.find((s) => s.plane === 'saturation')!
    const signId = sat.id.replace(/:saturated$/, '')
    const out = model.execute(x, [signId]) as tf.Tensor
    const wantSat = signRows(tf.tidy(() => tf.sub(tf.greaterEqual(out, 6), 0.5)).dataSync(), sat.units)
    probe.reset()
    tf.dispose(model.predict(x) as tf.Tensor)
    expect(unpackRows(probe.results()[sat.id]!.bits)).toEqual(wantSat)
    tf.dispose([out, x])
    probe.dispose()
    model.dispose()
  }, 120_000)
})
