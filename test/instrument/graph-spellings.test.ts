import { beforeAll, describe, expect, test } from 'vitest'
import { instrument } from '../../src/index.js'
import type { ActivationKind } from '../../src/index.js'
import { attrs, graphModel, numbers } from '../helpers/graph-json.js'
import { collect, signRows, tf, unpackRows, useCpu } from '../helpers/tf.js'

/*
 * ReLU-family activations that converters spell as several graph ops: each is one site of
 * its own kind (or skipped with its reason), and its bits equal brute force on the tensor
 * the kind is defined on.
 */
beforeAll(useCpu)

const dense = { w: { shape: [6, 5], values: numbers(30, 1) }, b: { shape: [5], values: numbers(5, 2) } }
const scalars = {
  zero: { shape: [], values: [0] },
  six: { shape: [], values: [6] },
  three: { shape: [], values: [3] },
  sixth: { shape: [], values: [1 / 6] },
  alpha: { shape: [], values: [0.2] },
}
const gamma = { gamma: { shape: [5], values: [0.25, 0.5, -0.75, 1, 0.1] } }
const mm = { name: 'mm', op: 'MatMul', input: ['x', 'w'], attr: attrs.matmul() }
const x = (): tf.Tensor =>
  tf.tensor2d(
    numbers(48, 21).map((v) => v * 12),
    [8, 6],
  )

/** Records one predict; checks every site against the signs (or the cap) of the tensor `tensorOf[site]` names, from a plain execute. */
function expectBruteForce(
  model: ReturnType<typeof graphModel>,
  input: tf.Tensor,
  tensorOf: Record<string, string>,
  options: { activations?: ActivationKind[] } = {},
) {
  const probe = instrument(model, { reducers: { bits: collect() }, saturation: true, ...options })
  tf.dispose(model.predict(input) as tf.Tensor)
  const results = probe.results()
  probe.dispose()
  for (const site of probe.sites) {
    const out = model.execute(input, tensorOf[site.id.replace(/:saturated$/, '')]!) as tf.Tensor
    const values = Array.from(out.dataSync())
    const bits = site.plane === 'saturation' ? values.map((v) => (v >= Math.fround(site.maxValue!) ? 1 : 0)) : values
    expect(unpackRows(results[site.id]!.bits), site.id).toEqual(signRows(bits, site.units))
    out.dispose()
  }
  return probe
}

describe('capped ReLUs spelled as ops', () => {
  test('Relu -> Minimum(6) -> Maximum(0) (Keras ReLU(6) through clip_by_value) is one relu6 site at the last node, with its saturation plane', () => {
    const model = graphModel({
      input: [-1, 6],
      consts: { ...dense, ...scalars },
      nodes: [
        mm,
        { name: 'r', op: 'Relu', input: ['mm'] },
        { name: 'min', op: 'Minimum', input: ['r', 'six'] },
        { name: 'clip', op: 'Maximum', input: ['min', 'zero'] },
      ],
      outputs: ['clip'],
    })
    const input = x()
    const probe = expectBruteForce(model, input, { clip: 'clip' })
    expect(probe.sites.map((s) => [s.id, s.className, s.activation, s.maxValue, s.plane])).toEqual([
      ['clip', 'Relu+Minimum+Maximum', 'relu6', 6, 'sign'],
      ['clip:saturated', 'Relu+Minimum+Maximum', 'relu6', 6, 'saturation'],
    ])
    input.dispose()
  })

  test('Minimum(x, c) -> Maximum(0) is a capped ReLU with cap c; a Relu whose output also feeds another op stays a site of its own', () => {
    const model = graphModel({
      input: [-1, 6],
      consts: { ...dense, ...scalars, c: { shape: [], values: [0.4] } },
      nodes: [
        mm,
        { name: 'min', op: 'Minimum', input: ['mm', 'c'] },
        { name: 'clip', op: 'Maximum', input: ['min', 'zero'] },
        { name: 'r', op: 'Relu', input: ['mm'] },
        { name: 'sum', op: 'AddV2', input: ['clip', 'r'] },
      ],
      outputs: ['sum'],
    })
    const input = x()
    const probe = expectBruteForce(model, input, { clip: 'clip', r: 'r' })
    expect(probe.sites.filter((s) => s.plane === 'sign').map((s) => [s.id, s.activation, s.maxValue])).toEqual([
      ['clip', 'relu-capped', expect.closeTo(0.4, 6)],
      ['r', 'relu', null],
    ])
    input.dispose()
  })

  test('a Maximum(x, 0) of a never-negative input is the identity, not a site; Maximum(x, c != 0) is no ReLU', () => {
    const model = graphModel({
      input: [-1, 6],
      consts: { ...dense, ...scalars },
      nodes: [
        mm,
        { name: 's', op: 'Sigmoid', input: ['mm'] },
        { name: 'm', op: 'Maximum', input: ['s', 'zero'] },
        { name: 'eps', op: 'Maximum', input: ['mm', 'alpha'] },
        { name: 'sum', op: 'AddV2', input: ['m', 'eps'] },
      ],
      outputs: ['sum'],
    })
    expect(() => instrument(model)).toThrow(expect.objectContaining({ code: 'NO_RELU_SITES' }))
  })
})

/** The three ways converters spell a PReLU: γ·min(x, 0), -γ·relu(-x), γ·(x - |x|)/2. */
function preluModel() {
  return graphModel({
    input: [-1, 6],
    consts: { ...dense, ...scalars, ...gamma, negGamma: { shape: [5], values: gamma.gamma.values.map((g) => -g) } },
    nodes: [
      mm,
      // mobileface: Maximum(0, x) + γ · Minimum(0, x)
      { name: 'pos1', op: 'Maximum', input: ['zero', 'mm'] },
      { name: 'neg1', op: 'Minimum', input: ['zero', 'mm'] },
      { name: 'scaled1', op: 'Mul', input: ['gamma', 'neg1'] },
      { name: 'prelu1', op: 'AddV2', input: ['pos1', 'scaled1'] },
      // Keras: relu(x) + (-γ) · relu(-x)
      { name: 'pos2', op: 'Relu', input: ['prelu1'] },
      { name: 'minus', op: 'Neg', input: ['prelu1'] },
      { name: 'neg2', op: 'Relu', input: ['minus'] },
      { name: 'scaled2', op: 'Mul', input: ['negGamma', 'neg2'] },
      { name: 'prelu2', op: 'AddV2', input: ['pos2', 'scaled2'] },
      // InsightFace: relu(x) + (x - |x|) · γ/2
      { name: 'pos3', op: 'Relu', input: ['prelu2'] },
      { name: 'abs', op: 'Abs', input: ['prelu2'] },
      { name: 'diff', op: 'Sub', input: ['prelu2', 'abs'] },
      { name: 'scaled3', op: 'Mul', input: ['diff', 'gamma'] },
      { name: 'prelu3', op: 'Add', input: ['pos3', 'scaled3'] },
    ],
    outputs: ['prelu3'],
  })
}

describe('PReLU, LeakyReLU, hard-swish and hard-sigmoid spelled as ops', () => {
  test('a decomposed PReLU is skipped with its reason by default (no site says its units are dead)', () => {
    const model = preluModel()
    expect(() => instrument(model)).toThrow(expect.objectContaining({ code: 'NO_RELU_SITES' }))
    const probe = instrument(model, { allowEmpty: true })
    expect(probe.skipped.map((s) => [s.id, s.className, s.reason])).toEqual([
      ['prelu1', 'Maximum+AddV2', 'not-a-relu'],
      ['prelu2', 'Relu+AddV2', 'not-a-relu'],
      ['prelu3', 'Relu+Add', 'not-a-relu'],
    ])
    expect(probe.skipped[0]!.detail).toMatch(/PReLU.*never off.*activations: \['relu', 'prelu'\]/)
    probe.dispose()
  })

  test("with activations: ['prelu'] each is one site read from its input, equal to the input's signs", () => {
    const model = preluModel()
    const input = x()
    const probe = expectBruteForce(model, input, { prelu1: 'mm', prelu2: 'prelu1', prelu3: 'prelu2' }, { activations: ['prelu'] })
    expect(probe.sites.map((s) => [s.id, s.activation, s.reads])).toEqual([
      ['prelu1', 'prelu', 'input'],
      ['prelu2', 'prelu', 'input'],
      ['prelu3', 'prelu', 'input'],
    ])
    input.dispose()
  })

  test('a sum of a ReLU and something else built from the same input is no PReLU: both stay ReLU sites', () => {
    const model = graphModel({
      input: [-1, 6],
      consts: { ...dense, ...scalars },
      nodes: [
        mm,
        { name: 'r', op: 'Relu', input: ['mm'] },
        { name: 'half', op: 'Mul', input: ['mm', 'alpha'] },
        { name: 'sum', op: 'AddV2', input: ['r', 'half'] },
      ],
      outputs: ['sum'],
    })
    const probe = instrument(model)
    expect(probe.sites.map((s) => [s.id, s.activation])).toEqual([['r', 'relu']])
    probe.dispose()
  })

  test('LeakyReLU as Maximum(x, α·x): skipped by default, the sign of x with leakyRelu', () => {
    const model = graphModel({
      input: [-1, 6],
      consts: { ...dense, ...scalars },
      nodes: [
        mm,
        { name: 'ax', op: 'Mul', input: ['alpha', 'mm'] },
        { name: 'leaky', op: 'Maximum', input: ['mm', 'ax'] },
        { name: 'r', op: 'Relu', input: ['leaky'] },
      ],
      outputs: ['r'],
    })
    const byDefault = instrument(model)
    expect(byDefault.sites.map((s) => s.id)).toEqual(['r'])
    expect(byDefault.skipped.map((s) => [s.id, s.className, s.reason])).toEqual([['leaky', 'Maximum+Mul', 'not-a-relu']])
    byDefault.dispose()
    const input = x()
    const probe = expectBruteForce(model, input, { leaky: 'mm', r: 'r' }, { activations: ['relu', 'leakyRelu'] })
    expect(probe.sites.map((s) => [s.id, s.activation, s.reads])).toEqual([
      ['leaky', 'leakyRelu', 'input'],
      ['r', 'relu', 'output'],
    ])
    input.dispose()
  })

  test('hard-swish x·relu6(x + 3)/6 and hard-sigmoid relu6(x + 3)/6: skipped by default, opt-in kinds on x > -3 with saturation at x >= 3', () => {
    const model = graphModel({
      input: [-1, 6],
      consts: { ...dense, ...scalars },
      nodes: [
        mm,
        { name: 'plus', op: 'AddV2', input: ['mm', 'three'] },
        { name: 'r6', op: 'Relu6', input: ['plus'] },
        { name: 'gate', op: 'Mul', input: ['r6', 'sixth'] },
        { name: 'swish', op: 'Mul', input: ['mm', 'gate'] },
        { name: 'plus2', op: 'AddV2', input: ['swish', 'three'] },
        { name: 'r6b', op: 'Relu6', input: ['plus2'] },
        { name: 'sigmoid', op: 'Mul', input: ['r6b', 'sixth'] },
      ],
      outputs: ['sigmoid'],
    })
    expect(() => instrument(model)).toThrow(expect.objectContaining({ code: 'NO_RELU_SITES' }))
    const quiet = instrument(model, { allowEmpty: true })
    expect(quiet.skipped.map((s) => [s.id, s.reason])).toEqual([
      ['r6', 'not-a-relu'],
      ['r6b', 'not-a-relu'],
    ])
    expect(quiet.skipped[0]!.detail).toMatch(/hard-swish.*'hardSwish'/)
    expect(quiet.skipped[1]!.detail).toMatch(/hard-sigmoid.*'hardSigmoid'/)
    quiet.dispose()
    const input = x()
    // bits: mm > -3 (sign plane) and mm >= 3 (saturation plane), read from the relu6 itself
    const probe = expectBruteForce(model, input, { r6: 'r6', r6b: 'r6b' }, { activations: ['hardSwish', 'hardSigmoid'] })
    expect(probe.sites.map((s) => [s.id, s.activation, s.maxValue, s.plane])).toEqual([
      ['r6', 'hardSwish', 6, 'sign'],
      ['r6:saturated', 'hardSwish', 6, 'saturation'],
      ['r6b', 'hardSigmoid', 6, 'sign'],
      ['r6b:saturated', 'hardSigmoid', 6, 'saturation'],
    ])
    input.dispose()
  })
})

describe('the channel axis through transposes', () => {
  const conv = {
    k: { shape: [1, 1, 3, 4], values: numbers(12, 3) },
    perm: { shape: [4], values: [0, 3, 1, 2] },
    shape: { shape: [3], values: [-1, 9, 4] },
  }
  const nhwcToNchw = (rest: { name: string; op: string; input: string[] }[]) =>
    graphModel({
      input: [-1, 3, 3, 3],
      consts: conv,
      nodes: [
        { name: 'c', op: 'Conv2D', input: ['x', 'k'], attr: attrs.conv('NHWC') },
        { name: 't', op: 'Transpose', input: ['c', 'perm'], attr: { Tperm: { type: 'DT_INT32' } } },
        ...rest,
      ],
      outputs: [rest[rest.length - 1]!.name],
      intConsts: ['perm', 'shape'],
    })

  test('NHWC convolution -> Transpose to NCHW -> Relu: the channels are axis 1, and the bits equal brute force per position', () => {
    const model = nhwcToNchw([{ name: 'r', op: 'Relu', input: ['t'] }])
    const probe = instrument(model, { reducers: { bits: collect() } })
    expect(probe.sites[0]).toMatchObject({ id: 'r', units: 4, positions: 9, dataFormat: 'channelsFirst' })
    const input = tf.tensor4d(numbers(54, 5), [2, 3, 3, 3])
    tf.dispose(model.predict(input) as tf.Tensor)
    const got = unpackRows(probe.results()['r']!.bits)
    probe.dispose()
    const out = model.execute(input, 'c') as tf.Tensor // NHWC: each row of 4 is one position's channels
    expect(got).toEqual(signRows(out.dataSync(), 4))
    tf.dispose([out, input])
  })

  test('after a Reshape the axis is unknown: DATA_FORMAT_UNKNOWN naming the site, and a dataFormat by site id resolves it', () => {
    const model = nhwcToNchw([
      { name: 'back', op: 'Transpose', input: ['t', 'perm'] },
      { name: 'flat', op: 'Reshape', input: ['c', 'shape'] },
      { name: 'r', op: 'Relu', input: ['flat'] },
    ])
    expect(() => instrument(model)).toThrow(
      expect.objectContaining({
        code: 'DATA_FORMAT_UNKNOWN',
        site: 'r',
        message: expect.stringContaining(`dataFormat: { "r": 'channelsLast' }`),
      }),
    )
    const probe = instrument(model, { dataFormat: { r: 'channelsLast' } })
    expect(probe.sites[0]).toMatchObject({ id: 'r', units: 4, positions: 9, dataFormat: 'channelsLast' })
    probe.dispose()
    const all = instrument(model, { dataFormat: 'channelsLast' })
    expect(all.sites[0]).toMatchObject({ dataFormat: 'channelsLast' })
    all.dispose()
  })
})

describe('what an adversarial reading found, now right', () => {
  const sp = { name: 'sp', op: 'Split', input: ['dim', 'mm10'], attr: { num_split: { i: '2' } } }
  const wide = { w10: { shape: [6, 10], values: numbers(60, 31) }, dim: { shape: [], values: [1] } }

  test('a Transpose that moves the batch axis is DATA_FORMAT_UNKNOWN, not rows of the wrong size', () => {
    const model = graphModel({
      input: [-1, 6],
      consts: { ...dense, p: { shape: [2], values: [1, 0] } },
      intConsts: ['p'],
      nodes: [
        mm,
        { name: 't', op: 'Transpose', input: ['mm', 'p'], attr: { Tperm: { type: 'DT_INT32' } } },
        { name: 'r', op: 'Relu', input: ['t'] },
      ],
      outputs: ['r'],
    })
    expect(() => instrument(model)).toThrow(
      expect.objectContaining({
        code: 'DATA_FORMAT_UNKNOWN',
        site: 'r',
        message: expect.stringContaining('The batch is not the first axis'),
      }),
    )
    // a dataFormat cannot make it right
    expect(() => instrument(model, { dataFormat: { r: 'channelsLast' } })).toThrow(expect.objectContaining({ code: 'DATA_FORMAT_UNKNOWN' }))
  })

  test("a site node named like a signature output key reads its own tensor, not the key's", () => {
    const model = graphModel({
      input: [-1, 6],
      consts: { ...dense },
      // signature key out1 names Identity_1 = -mm; node out1 is relu(mm)
      nodes: [
        mm,
        { name: 'out1', op: 'Relu', input: ['mm'] },
        { name: 'neg', op: 'Neg', input: ['mm'] },
        { name: 'fin', op: 'AddV2', input: ['out1', 'mm'] },
      ],
      outputs: ['fin', 'neg'],
    })
    const input = x()
    const probe = expectBruteForce(model, input, { out1: 'out1:0' })
    expect(probe.sites[0]!.tensor).toBe('out1:0')
    input.dispose()
  })

  test('one activation is one site: a ReLU of a never-negative input (a shared Maximum(x, 0), a fused relu, through Identity) is none; a cap on a shared Minimum is kept', () => {
    const model = graphModel({
      input: [-1, 6],
      consts: { ...dense, ...scalars },
      nodes: [
        mm,
        { name: 'm0', op: 'Maximum', input: ['mm', 'zero'] },
        { name: 'r', op: 'Relu', input: ['m0'] },
        { name: 'id', op: 'Identity', input: ['m0'] },
        { name: 'r2', op: 'Relu', input: ['id'] },
        { name: 'a', op: 'AddV2', input: ['m0', 'r'] },
        { name: 'b', op: 'AddV2', input: ['a', 'r2'] },
        { name: 'mn', op: 'Minimum', input: ['mm', 'six'] },
        { name: 'clip', op: 'Maximum', input: ['mn', 'zero'] },
        { name: 'c', op: 'AddV2', input: ['mn', 'clip'] },
        { name: 'out', op: 'AddV2', input: ['b', 'c'] },
      ],
      outputs: ['out'],
    })
    const input = x()
    const probe = expectBruteForce(model, input, { m0: 'm0:0', clip: 'clip:0' })
    expect(probe.sites.map((s) => [s.id, s.activation, s.maxValue, s.plane])).toEqual([
      ['m0', 'relu', null, 'sign'],
      ['clip', 'relu6', 6, 'sign'],
      ['clip:saturated', 'relu6', 6, 'saturation'],
    ])
    input.dispose()
  })

  test('LeakyReLU and PReLU forms match tensors, not nodes: two outputs of one Split are no such form', () => {
    const model = graphModel({
      input: [-1, 6],
      consts: { ...wide, ...scalars, ...gamma },
      nodes: [
        { name: 'mm10', op: 'MatMul', input: ['x', 'w10'], attr: attrs.matmul() },
        sp,
        { name: 'ab', op: 'Mul', input: ['alpha', 'sp:1'] },
        { name: 'notLeaky', op: 'Maximum', input: ['sp', 'ab'] },
        { name: 'r', op: 'Relu', input: ['sp'] },
        { name: 'mn', op: 'Minimum', input: ['sp:1', 'zero'] },
        { name: 'gm', op: 'Mul', input: ['mn', 'gamma'] },
        { name: 'notPrelu', op: 'AddV2', input: ['r', 'gm'] },
        { name: 'out', op: 'AddV2', input: ['notLeaky', 'notPrelu'] },
      ],
      outputs: ['out'],
    })
    const probe = instrument(model, { activations: ['relu', 'leakyRelu', 'prelu'] })
    expect(probe.sites.map((s) => [s.id, s.activation])).toEqual([['r', 'relu']])
    expect(probe.skipped).toEqual([])
    probe.dispose()
  })

  test('an NCHW transpose joined with an NCHW convolution agree on axis 1 (-3 and 1 of a rank-4 tensor)', () => {
    const model = graphModel({
      input: [-1, 3, 3, 3],
      consts: { k: { shape: [1, 1, 3, 3], values: numbers(9, 3) }, perm: { shape: [4], values: [0, 3, 1, 2] } },
      intConsts: ['perm'],
      nodes: [
        { name: 'c', op: 'Conv2D', input: ['x', 'k'], attr: attrs.conv('NHWC') },
        { name: 't', op: 'Transpose', input: ['c', 'perm'], attr: { Tperm: { type: 'DT_INT32' } } },
        { name: 'cf', op: 'Conv2D', input: ['x', 'k'], attr: attrs.conv('NCHW') },
        { name: 'sum', op: 'AddV2', input: ['t', 'cf'] },
        { name: 'r', op: 'Relu', input: ['sum'] },
      ],
      outputs: ['r'],
    })
    const probe = instrument(model)
    expect(probe.sites[0]).toMatchObject({ id: 'r', units: 3, positions: 9, dataFormat: 'channelsFirst' })
    probe.dispose()
  })

  test('Relu6(x + 3) alone is a relu6 of x + 3; only divided by 6 (or times x) is it hard-sigmoid (or hard-swish)', () => {
    const model = graphModel({
      input: [-1, 6],
      consts: { ...dense, ...scalars },
      nodes: [
        mm,
        { name: 'plus', op: 'AddV2', input: ['mm', 'three'] },
        { name: 'r6', op: 'Relu6', input: ['plus'] },
        { name: 'sum', op: 'AddV2', input: ['r6', 'mm'] },
      ],
      outputs: ['sum'],
    })
    const probe = instrument(model)
    expect(probe.sites.map((s) => [s.id, s.activation])).toEqual([['r6', 'relu6']])
    probe.dispose()
  })
})

describe('partial execution', () => {
  test('sites read from their input record only when their own node is computed; a fed node is not computed', () => {
    const model = graphModel({
      input: [-1, 6],
      consts: { ...dense, ...scalars, ...gamma, w2: { shape: [5, 5], values: numbers(25, 5) } },
      nodes: [
        mm,
        { name: 'pos', op: 'Relu', input: ['mm'] },
        { name: 'mn', op: 'Minimum', input: ['mm', 'zero'] },
        { name: 'gm', op: 'Mul', input: ['mn', 'gamma'] },
        { name: 'p', op: 'AddV2', input: ['pos', 'gm'] },
        { name: 'mm2', op: 'MatMul', input: ['p', 'w2'], attr: attrs.matmul() },
        { name: 'r2', op: 'Relu', input: ['mm2'] },
        { name: 'out', op: 'Neg', input: ['r2'] },
      ],
      outputs: ['out'],
    })
    const probe = instrument(model, { activations: ['relu', 'prelu'], reducers: { bits: collect() } })
    const rows = (): Record<string, number> => Object.fromEntries(Object.entries(probe.results()).map(([id, r]) => [id, r.bits.rows]))
    const input = x()
    expect(probe.sites.map((s) => s.id)).toEqual(['p', 'r2'])
    tf.dispose(model.execute(input, 'mm') as tf.Tensor)
    expect(rows()).toEqual({ p: 0, r2: 0 }) // p reads mm, but the PReLU itself was not computed
    tf.dispose(model.execute(input, 'mm2') as tf.Tensor)
    expect(rows()).toEqual({ p: 8, r2: 0 })
    probe.reset()
    const fed = tf.ones([8, 5])
    tf.dispose(model.execute({ r2: fed } as never, 'r2') as tf.Tensor) // r2 fed: no ReLU applied there
    expect(rows()).toEqual({ p: 0, r2: 0 })
    probe.dispose()
    tf.dispose([fed, input])
  })
})
