import { beforeAll, describe, expect, test } from 'vitest'
import { instrument, unitStats } from '../../src/index.js'
import { loadHuman, loadHumanModels, loadNsfwMobilenet } from '../helpers/graph-models.js'
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
  const want = bruteForce(
    model,
    x,
    ids,
    probe.sites.map((s) => s.units),
  )
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

describe('the three misreadings, on the real models that have them', () => {
  test('faceres: Keras ReLU(6) exported as Relu -> Minimum(6) -> Maximum(0) is one relu6 site per layer (28 sites, not 55), saturation against brute force', async () => {
    const model = await loadHumanModels('faceres')
    const probe = instrument(model, { saturation: true, reducers: { bits: collect() } })
    const sign = probe.sites.filter((s) => s.plane === 'sign')
    expect(sign.length).toBe(28)
    expect(sign.filter((s) => s.className === 'Relu+Minimum+Maximum' && s.activation === 'relu6' && s.maxValue === 6).length).toBe(27)
    expect(sign.some((s) => s.className === 'Relu' || s.className === 'Maximum')).toBe(false)
    const x = tf.randomUniform([1, 224, 224, 3], 0, 1, 'float32', 5)
    tf.dispose(model.predict(x) as tf.Tensor)
    const results = probe.results()
    probe.dispose()
    const site = sign[3]!
    const out = model.execute(x, site.tensor!) as tf.Tensor
    const values = Array.from(out.dataSync())
    expect(unpackRows(results[site.id]!.bits)).toEqual(signRows(values, site.units))
    expect(unpackRows(results[`${site.id}:saturated`]!.bits)).toEqual(
      signRows(
        values.map((v) => (v >= 6 ? 1 : 0)),
        site.units,
      ),
    )
    tf.dispose([out, x])
    model.dispose()
  }, 120_000)

  test('mobileface: a PReLU spelled Maximum(0, x) + γ·Minimum(0, x) is never called a dead ReLU; with prelu it reads the sign of x', async () => {
    const model = await loadHumanModels('mobileface')
    expect(() => instrument(model)).toThrow(
      expect.objectContaining({ code: 'NO_RELU_SITES', message: expect.stringContaining('not-a-relu') }),
    )
    const probe = instrument(model, { activations: ['prelu'], reducers: { bits: collect(), units: unitStats() } })
    expect(probe.sites.length).toBe(13)
    expect(probe.sites.every((s) => s.activation === 'prelu' && s.reads === 'input' && s.className === 'Maximum+AddV2')).toBe(true)
    const x = tf.randomUniform([2, 112, 112, 3], 0, 1, 'float32', 6)
    tf.dispose(model.predict(x) as tf.Tensor)
    const results = probe.results()
    probe.dispose()
    for (const site of probe.sites.slice(0, 3)) {
      const input = model.execute(x, site.tensor!) as tf.Tensor // the convolution the PReLU is applied to
      expect(unpackRows(results[site.id]!.bits), site.id).toEqual(signRows(input.dataSync(), site.units))
      input.dispose()
    }
    x.dispose()
    model.dispose()
  }, 120_000)

  test('nanodet (ONNX export): NHWC convolution -> Transpose to NCHW -> LeakyRelu has its channels on axis 1', async () => {
    const model = await loadHumanModels('nanodet')
    const probe = instrument(model, {
      activations: ['leakyRelu'],
      reducers: { bits: collect() },
      sites: (s) => s.id.endsWith('LeakyRelu_1'),
    })
    const site = probe.sites[0]!
    expect(site).toMatchObject({ activation: 'leakyRelu', dataFormat: 'channelsFirst' })
    const x = tf.randomUniform([1, 3, 416, 416], 0, 1, 'float32', 8)
    tf.dispose(model.predict(x) as tf.Tensor)
    const bits = unpackRows(probe.results()[site.id]!.bits)
    probe.dispose()
    const out = model.execute(x, site.tensor!) as tf.Tensor // [1, C, H, W]
    expect(out.shape[1]).toBe(site.units)
    const nhwc = tf.transpose(out, [0, 2, 3, 1])
    expect(bits).toEqual(signRows(nhwc.dataSync(), site.units))
    tf.dispose([out, nhwc, x])
    model.dispose()
  }, 120_000)
})

describe('partial execution', () => {
  test('MobileNetV2 executed up to its first block records only the two sites above it, and runs no kernel more than bare', async () => {
    const model = await loadNsfwMobilenet()
    const block =
      'StatefulPartitionedCall/sequential/keras_layer/StatefulPartitionedCall/StatefulPartitionedCall/StatefulPartitionedCall/predict/MobilenetV2/expanded_conv/project/BatchNorm/FusedBatchNormV3'
    const x = tf.randomUniform([1, 224, 224, 3], 0, 1, 'float32', 9)
    const kernels = async () => (await tf.profile(() => tf.dispose(model.execute(x, block) as tf.Tensor))).kernelNames
    const bare = await kernels()
    const probe = instrument(model, { reducers: { bits: collect() } })
    const before = tf.memory().numTensors
    const tapped = await kernels()
    expect(tf.memory().numTensors).toBe(before)
    expect(tapped).toEqual(bare)
    const results = probe.results()
    const recorded = probe.sites.filter((s) => results[s.id]!.bits.rows > 0).map((s) => s.id.split('/MobilenetV2/')[1])
    expect(recorded).toEqual(['Conv/Relu6', 'expanded_conv/depthwise/depthwise'])
    // the whole model still records every site
    probe.reset()
    tf.dispose(model.predict(x) as tf.Tensor)
    expect(Object.values(probe.results()).every((r) => r.bits.rows > 0)).toBe(true)
    probe.dispose()
    x.dispose()
    model.dispose()
  }, 120_000)
})
