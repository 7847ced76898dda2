import { beforeAll, describe, expect, test } from 'vitest'
import { type ExampleCheck, buildMonitor, instrument } from '../../src/index.js'
import { data, mlp, ownKeys } from '../helpers/models.js'
import { tf, useCpu } from '../helpers/tf.js'

beforeAll(useCpu)

const labels = (n: number): number[] => Array.from({ length: n }, (_, i) => i % 3)
const tick = () => new Promise((r) => setTimeout(r, 0))

async function setup(seed: number) {
  const model = mlp(seed, [12, 24, 20, 3])
  const train = data(60, 12, 3, seed + 1)
  const m1 = await buildMonitor(model, train.xs, { labels: labels(60) })
  const m2 = await buildMonitor(model, train.xs, { labels: labels(60), sites: [model.layers[0]!.name] })
  const x = tf.randomNormal([4, 12], 0, 1, 'float32', seed + 2)
  return { model, train, m1, m2, x }
}

describe('attach, several monitors and the probe they use', () => {
  test('two monitors attached: both told on every call; detached in either order, predict is restored exactly', async () => {
    for (const order of [
      [0, 1],
      [1, 0],
    ]) {
      const { model, train, m1, m2, x } = await setup(20)
      const before = ownKeys(model)
      const seen: ExampleCheck[][][] = [[], []]
      const undo = [m1.attach((c) => void seen[0]!.push(c)), m2.attach((c) => void seen[1]!.push(c))]
      tf.dispose(model.predict(x) as tf.Tensor)
      await tick()
      expect(seen[0]).toEqual([await m1.check(x)])
      expect(seen[1]).toEqual([await m2.check(x)])
      undo[order[0]!]!()
      undo[order[0]!]!() // idempotent
      tf.dispose(model.predict(x) as tf.Tensor)
      await tick()
      expect(seen[order[1]!]!.length).toBe(2)
      expect(seen[order[0]!]!.length).toBe(1)
      undo[order[1]!]!()
      expect(ownKeys(model)).toEqual(before)
      const y = model.predict(x) as tf.Tensor
      expect(y.shape).toEqual([4, 3])
      tf.dispose([y, train.xs, train.ys, x])
    }
  })

  test('an undo right after predict: that call is still told, predict is the own one at once, the probe goes after', async () => {
    const { vi } = await import('vitest')
    const printed = vi.spyOn(console, 'error').mockImplementation(() => undefined)
    const { model, train, m1, x } = await setup(23)
    const before = ownKeys(model)
    const seen: ExampleCheck[][] = []
    const hadOwn = Object.hasOwn(model, 'predict')
    const undo = m1.attach((c) => void seen.push(c))
    tf.dispose(model.predict(x) as tf.Tensor)
    undo()
    expect(Object.hasOwn(model, 'predict')).toBe(hadOwn)
    await tick()
    expect(seen).toEqual([await m1.check(x)])
    expect(ownKeys(model)).toEqual(before)
    expect(printed).not.toHaveBeenCalled()
    // the monitors' probe is gone: the model can be instrumented again
    instrument(model).dispose()
    // attached again before the last checks were told: the new monitor is told, nothing is lost
    const again: ExampleCheck[][] = []
    const undo1 = m1.attach(() => undefined)
    tf.dispose(model.predict(x) as tf.Tensor)
    undo1()
    const undo2 = m1.attach((c) => void again.push(c))
    tf.dispose(model.predict(x) as tf.Tensor)
    await tick()
    expect(again).toEqual([await m1.check(x)])
    undo2()
    await tick()
    instrument(model).dispose()
    expect(ownKeys(model)).toEqual(before)
    expect(printed).not.toHaveBeenCalled()
    printed.mockRestore()
    tf.dispose([train.xs, train.ys, x])
  })

  test('a monitor attached with more sites while a check is in flight: that check is still told', async () => {
    const { vi } = await import('vitest')
    const printed = vi.spyOn(console, 'error').mockImplementation(() => undefined)
    const { model, train, m1, m2, x } = await setup(24)
    const seen: ExampleCheck[][] = []
    const undo2 = m2.attach((c) => void seen.push(c)) // one site: a probe made for it
    tf.dispose(model.predict(x) as tf.Tensor)
    const undo1 = m1.attach(() => undefined) // every site: that probe is made again
    await tick()
    expect(seen).toEqual([await m2.check(x)])
    expect(printed).not.toHaveBeenCalled()
    undo1()
    undo2()
    printed.mockRestore()
    tf.dispose([train.xs, train.ys, x])
  })

  test("a predict inside the program's own capture is checked too, and the capture still gets its rows", async () => {
    const { model, train, m1, x } = await setup(40)
    const probe = instrument(model)
    const seen: ExampleCheck[][] = []
    const detach = m1.attach((c) => void seen.push(c))
    const { value, patterns } = probe.capture(() => model.predict(x) as tf.Tensor)
    await tick()
    expect(seen).toEqual([await m1.check(x)])
    expect((await patterns)![probe.sites[0]!.id]!.rows).toBe(4)
    detach()
    probe.dispose()
    tf.dispose([value, train.xs, train.ys, x])
  })

  test("with the user's own probe: its missing sites are refused; disposing it keeps predict working", async () => {
    const { model, train, m1, x } = await setup(30)
    const partial = instrument(model, { sites: [model.layers[0]!.name] })
    expect(() => m1.attach(() => undefined)).toThrow(expect.objectContaining({ code: 'ALREADY_INSTRUMENTED' }))
    partial.dispose()
    const probe = instrument(model)
    const seen: unknown[] = []
    const detach = m1.attach((c) => void seen.push(c))
    tf.dispose(model.predict(x) as tf.Tensor)
    await tick()
    expect(seen.length).toBe(1)
    probe.dispose()
    const y = model.predict(x) as tf.Tensor
    expect(y.shape).toEqual([4, 3])
    detach()
    tf.dispose([y, train.xs, train.ys, x])
  })
})

describe('what a monitor refuses', () => {
  test('a shared layer, an empty site list, a non-model, sites that are not an array, a measurement with batchSize', async () => {
    const { model, train, x } = await setup(40)
    await expect(buildMonitor(null as never, x)).rejects.toMatchObject({ code: 'NOT_A_MODEL' })
    await expect(buildMonitor(model, x, { sites: [] })).rejects.toMatchObject({ code: 'NO_SITES_SELECTED' })
    await expect(buildMonitor(model, x, { sites: 'x' as never })).rejects.toMatchObject({ code: 'INVALID_OPTION' })
    const probe = instrument(model)
    const m = await probe.measurePatterns(train.xs, { predictions: true })
    await expect(buildMonitor(model, m, { labels: labels(60), batchSize: 4 })).rejects.toMatchObject({ code: 'INVALID_OPTION' })
    const id = model.layers[1]!.name
    const lying = { ...m, patterns: { ...m.patterns, [id]: { ...m.patterns[id]!, rows: 61 } } }
    await expect(buildMonitor(model, lying, { labels: labels(60), sites: [id] })).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    probe.dispose()
    const monitor = await buildMonitor(model, train.xs, { labels: labels(60) })
    expect(() => monitor.checkPatterns(undefined as never, new Int32Array(1))).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
    tf.dispose([train.xs, train.ys, x])
  })

  test('calibrate allows exactly the share asked for, whatever the rounding', async () => {
    const { model, train, x } = await setup(50)
    const monitor = await buildMonitor(model, train.xs, { labels: labels(60) })
    const held = tf.randomNormal([100, 12], 0, 2, 'float32', 51)
    const scores = (await monitor.check(held)).map((c) => c.score).sort((a, b) => a - b)
    const { threshold } = await monitor.calibrate(held, { falseAlarmRate: 0.58 })
    expect(threshold).toBe(scores[100 - 1 - 58])
    tf.dispose([train.xs, train.ys, x, held])
  })
})

test('a predict wrapper kept after the last monitor left calls the model, and one installed meanwhile is kept when a monitor comes back', async () => {
  const model = mlp(31, [12, 24, 20, 3])
  const train = data(60, 12, 3, 32)
  const m = await buildMonitor(model, train.xs, { labels: labels(60) })
  const x = tf.randomNormal([4, 12], 0, 1, 'float32', 33)
  const expected = (model.predict(x) as tf.Tensor).arraySync()
  const undo = m.attach(() => undefined)
  const kept = model.predict
  undo()
  await tick()
  // the program still holds the wrapper: it is the model's predict
  const y = kept.call(model, x) as tf.Tensor
  expect(y.arraySync()).toEqual(expected)
  y.dispose()
  // attached and left with a check in flight, the program wraps predict, a monitor comes back
  const undo1 = m.attach(() => undefined)
  tf.dispose(model.predict(x) as tf.Tensor)
  undo1()
  let calls = 0
  const own = model.predict
  model.predict = ((...a: Parameters<typeof own>) => {
    calls++
    return own.apply(model, a)
  }) as typeof own
  const programs = model.predict
  const seen: ExampleCheck[][] = []
  const undo2 = m.attach((c) => void seen.push(c))
  tf.dispose(model.predict(x) as tf.Tensor)
  await tick()
  expect(calls).toBe(1)
  expect(seen).toEqual([await m.check(x)])
  undo2()
  expect(model.predict).toBe(programs)
  tf.dispose([train.xs, train.ys, x])
})
