import { beforeAll, describe, expect, test } from 'vitest'
import { type ExampleCheck, Monitor, buildMonitor, deserialize, instrument, serialize } from '../../src/index.js'
import { data, mlp, ownKeys } from '../helpers/models.js'
import { tf, tfl, useCpu } from '../helpers/tf.js'

beforeAll(useCpu)

/** Brute force, independent of the library: the last hidden layer's signs, from the weights. */
function hiddenSigns(model: ReturnType<typeof mlp>, x: tf.Tensor): boolean[][] {
  const [w0, b0] = model.layers[0]!.getWeights()
  const [w1, b1] = model.layers[1]!.getWeights()
  const h = tf.tidy(() => tf.relu(tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, w0!), b0!)), w1!), b1!)))
  const units = h.shape[1]!
  const values = h.dataSync()
  h.dispose()
  return Array.from({ length: x.shape[0]! }, (_, e) => Array.from({ length: units }, (_, u) => values[e * units + u]! > 0))
}

function argmax(model: ReturnType<typeof mlp>, x: tf.Tensor): number[] {
  const y = model.predict(x) as tf.Tensor
  const c = Array.from(tf.tidy(() => tf.argMax(y, -1)).dataSync())
  y.dispose()
  return c
}

const roundRobin = (n: number): number[] => Array.from({ length: n }, (_, i) => i % 3)

const hamming = (a: boolean[], b: boolean[]): number => a.reduce((n, v, i) => n + (v !== b[i] ? 1 : 0), 0)

describe('buildMonitor and check equal brute force', () => {
  test.each(['label', 'prediction'] as const)('by %s: class, seen and the exact nearest distance of every example', async (by) => {
    const model = mlp(3, [12, 24, 20, 3])
    const train = data(120, 12, 3, 7)
    const test = tf.randomNormal([40, 12], 0, 1.5, 'float32', 8)
    const labels = Array.from(tf.tidy(() => tf.argMax(train.ys, -1)).dataSync())
    const tensors = tf.memory().numTensors
    const monitor = await buildMonitor(model, train.xs, by === 'label' ? { labels } : {})
    expect(monitor.sites.map((s) => s.id)).toEqual([model.layers[1]!.name])
    const checks = await monitor.check(test)
    expect(tf.memory().numTensors).toBe(tensors)
    // brute force
    const trainSigns = hiddenSigns(model, train.xs)
    const trainClasses = by === 'label' ? labels : argmax(model, train.xs)
    const testSigns = hiddenSigns(model, test)
    const testClasses = argmax(model, test)
    checks.forEach((c, e) => {
      expect(c.class).toBe(testClasses[e])
      const same = trainSigns.filter((_, i) => trainClasses[i] === c.class)
      const want = Math.min(...same.map((p) => hamming(p, testSigns[e]!)))
      const site = c.sites[monitor.sites[0]!.id]!
      expect(site.distance).toBe(want)
      expect(site.seen).toBe(want === 0)
      expect(c.score).toBeCloseTo(want / 20, 12)
      expect(c.verdict).toBeNull()
    })
    expect(checks.some((c) => c.sites[monitor.sites[0]!.id]!.distance > 0)).toBe(true)
    if (by === 'prediction') {
      // every training input's own pattern was seen for the class the model gives it
      expect((await monitor.check(train.xs)).every((c) => c.sites[monitor.sites[0]!.id]!.seen)).toBe(true)
    }
    tf.dispose([train.xs, train.ys, test])
  })
})

describe('calibrate, attach, stringify, merge', () => {
  test('calibrate keeps false alarms on held-out data at or below the rate, and sets verdicts', async () => {
    const model = mlp(4, [12, 24, 20, 3])
    const train = data(150, 12, 3, 9)
    const held = tf.randomNormal([60, 12], 0, 1, 'float32', 10)
    const monitor = await buildMonitor(model, train.xs, { labels: roundRobin(150) })
    const { threshold, falseAlarms } = await monitor.calibrate(held, { falseAlarmRate: 0.1 })
    expect(falseAlarms).toBeLessThanOrEqual(0.1)
    const checks = await monitor.check(held)
    expect(checks.filter((c) => c.verdict === 'out').length / 60).toBe(falseAlarms)
    for (const c of checks) expect(c.verdict).toBe(c.score > threshold ? 'out' : 'in')
    tf.dispose([train.xs, train.ys, held])
  })

  test("attach checks the application's own predict calls in the same pass; detach restores predict", async () => {
    const model = mlp(5, [12, 24, 20, 3])
    const train = data(90, 12, 3, 11)
    const monitor = await buildMonitor(model, train.xs)
    const x = tf.randomNormal([7, 12], 0, 1, 'float32', 12)
    const want = await monitor.check(x)
    const before = ownKeys(model)
    const plain = model.predict(x) as tf.Tensor
    const seen: ExampleCheck[][] = []
    const detach = monitor.attach((checks) => void seen.push(checks))
    const tensors = tf.memory().numTensors
    const y = model.predict(x) as tf.Tensor
    expect(Array.from(y.dataSync())).toEqual(Array.from(plain.dataSync()))
    y.dispose()
    await new Promise((r) => setTimeout(r, 0))
    expect(tf.memory().numTensors).toBe(tensors)
    expect(seen).toEqual([want])
    detach()
    expect(ownKeys(model)).toEqual(before)
    tf.dispose([train.xs, train.ys, x, plain])
  })

  test('stringify and parse give the same checks; merge of shards equals building on all', async () => {
    const model = mlp(6, [12, 24, 20, 3])
    const train = data(200, 12, 3, 13)
    const x = tf.randomNormal([30, 12], 0, 1, 'float32', 14)
    const whole = await buildMonitor(model, train.xs)
    await whole.calibrate(x, { falseAlarmRate: 0.2 })
    const again = Monitor.parse(whole.stringify(), model)
    expect(again.threshold).toBe(whole.threshold)
    expect(await again.check(x)).toEqual(await whole.check(x))
    const a = await buildMonitor(model, tf.slice(train.xs, 0, 100))
    const b = await buildMonitor(model, tf.slice(train.xs, 100, 100))
    const merged = a.merge(b)
    expect(merged.patterns).toBe(whole.patterns)
    expect((await merged.check(x)).map((c) => c.score)).toEqual((await whole.check(x)).map((c) => c.score))
    tf.dispose([train.xs, train.ys, x])
  })

  test("it works through the model's own probe when there is one", async () => {
    const model = mlp(7, [12, 24, 20, 3])
    const probe = instrument(model)
    const train = data(60, 12, 3, 15)
    const monitor = await buildMonitor(model, train.xs, { labels: roundRobin(60) })
    expect((await monitor.check(train.xs)).length).toBe(60)
    expect(probe.results()[probe.sites[0]!.id]!.units.rows).toBe(0)
    // the probe itself is taken where the model is, with the same sets
    const byProbe = await buildMonitor(probe, train.xs, { labels: roundRobin(60) })
    expect(byProbe.stringify()).toBe(monitor.stringify())
    probe.dispose()
    await expect(buildMonitor(probe, train.xs, { labels: roundRobin(60) })).rejects.toMatchObject({ code: 'DISPOSED' })
    tf.dispose([train.xs, train.ys])
  })
})

describe('bad input is a coded error', () => {
  test('classes without patterns, wrong inputs, options, caps, corrupt text, another model', async () => {
    const model = mlp(8, [12, 24, 20, 3])
    const train = data(60, 12, 3, 16)
    await expect(buildMonitor(model, train.xs, { labels: new Array(60).fill(0) })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('1, 2'),
    })
    await expect(buildMonitor(model, train.xs, { labels: new Array(60).fill(5) })).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    await expect(buildMonitor(model, train.xs, { lables: [] } as never)).rejects.toMatchObject({ code: 'INVALID_OPTION' })
    await expect(buildMonitor(model, train.xs, { by: 'label' })).rejects.toMatchObject({ code: 'INVALID_OPTION' })
    await expect(buildMonitor(model, train.xs, { maxBytes: 16 })).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    await expect(buildMonitor(model, tf.ones([3, 5]))).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    const monitor = await buildMonitor(model, train.xs, { labels: Array.from({ length: 60 }, (_, i) => i % 3) })
    await expect(monitor.check(tf.ones([2, 7]))).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    await expect(monitor.calibrate(train.xs, { falseAlarmRate: 2 })).rejects.toMatchObject({ code: 'INVALID_OPTION' })
    const text = monitor.stringify()
    expect(() => Monitor.parse(text.replace('"kind":"monitor"', '"kind":"monitors"'), model)).toThrow(
      expect.objectContaining({ code: 'CORRUPT_DATA' }),
    )
    expect(() => Monitor.parse('nonsense', model)).toThrow(expect.objectContaining({ code: 'CORRUPT_DATA' }))
    const other = mlp(8, [12, 24, 21, 3])
    expect(() => Monitor.parse(text, other)).toThrow(expect.objectContaining({ code: 'MODEL_MISMATCH' }))
    const twoClass = tfl.sequential({
      layers: [
        tfl.layers.dense({ inputShape: [12], units: 24, activation: 'relu' }),
        tfl.layers.dense({ units: 20, activation: 'relu' }),
        tfl.layers.dense({ units: 2 }),
      ],
    })
    expect(() => Monitor.parse(text, twoClass)).toThrow(expect.objectContaining({ code: 'MODEL_MISMATCH' }))
    tf.dispose([train.xs, train.ys])
  })
})

test('a conv site: an example pattern is all its positions, and distances equal brute force over them', async () => {
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        inputShape: [4, 4, 1],
        filters: 3,
        kernelSize: 3,
        activation: 'relu',
        name: 'conv',
        kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }),
        biasInitializer: tfl.initializers.randomNormal({ seed: 3, stddev: 0.2 }),
      }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 2, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({ seed: 4 }) }),
    ],
  })
  const train = tf.randomNormal([50, 4, 4, 1], 0, 1, 'float32', 5)
  const test = tf.randomNormal([20, 4, 4, 1], 0, 1, 'float32', 6)
  const labels = Array.from({ length: 50 }, (_, i) => i % 2)
  const monitor = await buildMonitor(model, train, { labels })
  expect(monitor.sites[0]).toMatchObject({ id: 'conv', units: 3, rowsPerExample: 4, bits: 12 })
  const conv = tfl.model({ inputs: model.inputs, outputs: model.getLayer('conv').output as never })
  const signs = (x: tf.Tensor): boolean[][] => {
    const v = (conv.predict(x) as tf.Tensor).dataSync()
    return Array.from({ length: x.shape[0]! }, (_, e) => Array.from({ length: 12 }, (_, i) => v[e * 12 + i]! > 0))
  }
  const trainSigns = signs(train)
  const testSigns = signs(test)
  const checks = await monitor.check(test)
  checks.forEach((c, e) => {
    const want = Math.min(...trainSigns.filter((_, i) => labels[i] === c.class).map((p) => hamming(p, testSigns[e]!)))
    expect(c.sites['conv']!.distance).toBe(want)
  })
  tf.dispose([train, test])
})

test('a monitor built from a retained measurement equals one built from the data', async () => {
  const model = mlp(9, [12, 24, 20, 3])
  const train = data(90, 12, 3, 17)
  const x = tf.randomNormal([15, 12], 0, 1, 'float32', 18)
  const labels = roundRobin(90)
  const direct = await buildMonitor(model, train.xs, { labels })
  const probe = instrument(model)
  const m = await probe.measurePatterns(train.xs, { predictions: true })
  const fromMeasurement = await buildMonitor(model, m, { labels })
  expect(fromMeasurement.patterns).toBe(direct.patterns)
  expect(await fromMeasurement.check(x)).toEqual(await direct.check(x))
  const byPrediction = await buildMonitor(model, await probe.measurePatterns(train.xs), {}).catch((e: unknown) => e)
  expect(byPrediction).toMatchObject({ code: 'INVALID_INPUT' })
  await expect(buildMonitor(model, m, { labels, sites: ['nope'] })).rejects.toMatchObject({ code: 'UNKNOWN_SITE' })
  probe.dispose()
  tf.dispose([train.xs, train.ys, x])
})

test('crafted monitor text is CORRUPT_DATA; a model with other positions is MODEL_MISMATCH', async () => {
  const conv = (size: number) =>
    tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [size, size, 1], filters: 2, kernelSize: 3, activation: 'relu', name: 'c' }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 2, name: 'o' }),
      ],
    })
  const small = conv(4)
  const x = tf.randomNormal([20, 4, 4, 1], 0, 1, 'float32', 9)
  const monitor = await buildMonitor(small, x, { labels: Array.from({ length: 20 }, (_, i) => i % 2) })
  const text = monitor.stringify()
  expect(() => Monitor.parse(text, conv(6))).toThrow(expect.objectContaining({ code: 'MODEL_MISMATCH' }))
  const data = deserialize(text) as { threshold: number | null; sites: { id: string }[]; sets: { rows: number; words: Uint32Array }[][] }
  const craft = (change: (d: typeof data) => void): string => {
    const d = structuredClone(data)
    change(d)
    return serialize(d)
  }
  for (const bad of [
    craft((d) => void (d.threshold = -1)),
    craft((d) => void d.sites.push(d.sites[0]!)),
    craft((d) => void (d.sets[0]![0]!.rows = 0)),
    craft((d) => void (d.sets[0]![0]!.words[0] = 0xffffffff)), // 8 bits per example: the rest is padding
  ]) {
    expect(() => Monitor.parse(bad, small)).toThrow(expect.objectContaining({ code: 'CORRUPT_DATA' }))
  }
  x.dispose()
})
