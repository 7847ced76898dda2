import * as tfd from '@tensorflow/tfjs-data'
import { beforeAll, describe, expect, test } from 'vitest'
import { instrument } from '../../src/index.js'
import { mlp } from '../helpers/models.js'
import { collect, signRows, tf, unpackRows, useCpu } from '../helpers/tf.js'

beforeAll(useCpu)

/** A dataset of `n` batches of 3 examples whose iterator yields to the event loop before each batch. */
function slowDataset(xs: tf.Tensor, batches: number) {
  return {
    async iterator() {
      let i = 0
      return {
        async next(): Promise<IteratorResult<unknown>> {
          await new Promise((r) => setTimeout(r, 5))
          if (i >= batches) return { done: true, value: undefined }
          const b = tf.slice(xs, i * 3, 3)
          i++
          return { done: false, value: b }
        },
      }
    },
  }
}

describe('a pass belongs to whoever started it', () => {
  test("another caller's predict while measure awaits a batch goes to the training stream, not the measurement", async () => {
    const model = mlp()
    const probe = instrument(model, { reducers: { bits: collect() } })
    const xs = tf.randomNormal([12, 12], 0, 1, 'float32', 3)
    const other = tf.randomNormal([50, 12], 0, 1, 'float32', 4)
    const measuring = probe.measure(slowDataset(xs, 4))
    // a UI loop or another request: predicts while the measurement waits for its next batch
    let predicted = 0
    const loop = (async () => {
      for (let i = 0; i < 5; i++) {
        await new Promise((r) => setTimeout(r, 2))
        tf.dispose(model.predict(tf.slice(other, i * 10, 10)) as tf.Tensor)
        predicted += 10
      }
    })()
    const [measured] = await Promise.all([measuring, loop])
    expect(predicted).toBe(50)
    const id = probe.sites[0]!.id
    // exactly the measurement's own 12 rows, equal to a brute-force pass over xs
    const w = model.layers[0]!.getWeights()
    const h = tf.relu(tf.add(tf.matMul(xs, w[0]!), w[1]!))
    expect(measured[id]!.bits.rows).toBe(12)
    expect(unpackRows(measured[id]!.bits)).toEqual(signRows(h.dataSync(), 37))
    // and the other caller's 50 rows are in the training stream, as with no measurement running
    expect(probe.results()[id]!.bits.rows).toBe(50)
    expect(probe.counters()[id]!.calls).toBe(5)
    tf.dispose([xs, other, h])
    probe.dispose()
  })

  test('two measurements may run at once; each holds exactly its own passes', async () => {
    const model = mlp()
    const probe = instrument(model, { reducers: { bits: collect() } })
    const a = tf.randomNormal([9, 12], 0, 1, 'float32', 5)
    const b = tf.randomNormal([15, 12], 0, 1, 'float32', 6)
    const [ra, rb] = await Promise.all([probe.measure(slowDataset(a, 3)), probe.measure(slowDataset(b, 5))])
    const [sa, sb] = await Promise.all([probe.measure(a), probe.measure(b)])
    const id = probe.sites[1]!.id
    expect(ra[id]!.bits.rows).toBe(9)
    expect(rb[id]!.bits.rows).toBe(15)
    expect(ra[id]!.bits.words).toEqual(sa[id]!.bits.words)
    expect(rb[id]!.bits.words).toEqual(sb[id]!.bits.words)
    expect(probe.results()[id]!.bits.rows).toBe(0)
    tf.dispose([a, b])
    probe.dispose()
  })
})

describe('dispose and reset while measuring', () => {
  test('dispose() during an in-flight measure rejects it with DISPOSED, never a partial result', async () => {
    const model = mlp()
    const probe = instrument(model)
    const xs = tf.randomNormal([12, 12], 0, 1, 'float32', 7)
    const before = tf.memory().numTensors
    const measuring = probe.measure(slowDataset(xs, 4))
    await new Promise((r) => setTimeout(r, 12))
    probe.dispose()
    await expect(measuring).rejects.toMatchObject({ code: 'DISPOSED' })
    expect(tf.memory().numTensors).toBe(before)
    xs.dispose()
  })

  test('reset() during a measure clears the training stream and leaves the measurement whole', async () => {
    const model = mlp()
    const probe = instrument(model, { reducers: { bits: collect() } })
    const xs = tf.randomNormal([12, 12], 0, 1, 'float32', 8)
    const id = probe.sites[0]!.id
    tf.dispose(model.predict(tf.ones([4, 12])) as tf.Tensor)
    const measuring = probe.measure(slowDataset(xs, 4))
    await new Promise((r) => setTimeout(r, 8))
    probe.reset()
    tf.dispose(model.predict(tf.ones([2, 12])) as tf.Tensor)
    const measured = await measuring
    const alone = await probe.measure(xs)
    expect(measured[id]!.bits).toEqual(alone[id]!.bits)
    expect(probe.results()[id]!.bits.rows).toBe(2)
    xs.dispose()
    probe.dispose()
  })

  test('a tf.data dataset measured while fit trains: the measurement holds its rows only', async () => {
    const model = mlp()
    const probe = instrument(model, { reducers: { bits: collect() }, passes: 'training' })
    const xs = tf.randomNormal([32, 12], 0, 1, 'float32', 9)
    const ys = tf.oneHot(tf.zeros([32], 'int32') as tf.Tensor1D, 3)
    const probeSet = tf.randomNormal([6, 12], 0, 1, 'float32', 10)
    const id = probe.sites[0]!.id
    const [, measured] = await Promise.all([
      model.fit(xs, ys, { epochs: 2, batchSize: 8, shuffle: false }),
      probe.measure(
        tfd
          .array([0, 1, 2])
          .map(() => tf.slice(probeSet, 0, 2))
          .batch(1)
          .map((x) => tf.squeeze(x as tf.Tensor, [0])),
      ),
    ])
    expect(measured[id]!.bits.rows).toBe(6)
    expect(probe.results()[id]!.bits.rows).toBe(64)
    tf.dispose([xs, ys, probeSet])
    probe.dispose()
  })
})

describe('capture and predictions', () => {
  test('capture runs a call as a pass of its own: its value at once, its patterns exactly, the training stream untouched', async () => {
    const model = mlp()
    const probe = instrument(model, { reducers: { bits: collect() } })
    const x = tf.randomNormal([5, 12], 0, 1, 'float32', 31)
    const { value, patterns } = probe.capture(() => model.predict(x) as tf.Tensor)
    expect(value.shape).toEqual([5, 3])
    const id = probe.sites[0]!.id
    const got = (await patterns)![id]!
    const w = model.layers[0]!.getWeights()
    const h = tf.relu(tf.add(tf.matMul(x, w[0]!), w[1]!))
    expect(unpackRows({ units: got.units, wordsPerRow: got.wordsPerRow, rows: got.rows, words: Array.from(got.words) })).toEqual(
      signRows(h.dataSync(), 37),
    )
    expect(probe.results()[id]!.bits.rows).toBe(0)
    tf.dispose([x, value, h])
    probe.dispose()
  })

  test('nested captures: each gets exactly the rows of the calls run inside it, the outer one both calls', async () => {
    const model = mlp()
    const probe = instrument(model, { reducers: { bits: collect() } })
    const id = probe.sites[0]!.id
    const a = tf.randomNormal([3, 12], 0, 1, 'float32', 33)
    const b = tf.randomNormal([4, 12], 0, 1, 'float32', 34)
    let inner: ReturnType<typeof probe.capture> | undefined
    const outer = probe.capture(() => {
      tf.dispose(model.predict(a) as tf.Tensor)
      inner = probe.capture(() => model.predict(b) as tf.Tensor)
      return inner.value
    })
    const rowsOf = (p: Awaited<typeof outer.patterns>) => p![id]!.rows
    expect(rowsOf(await inner!.patterns)).toBe(4)
    expect(rowsOf(await outer.patterns)).toBe(7)
    // the outer capture holds a's rows, then b's, in call order
    const alone = probe.capture(() => model.predict(b) as tf.Tensor)
    const words = (await alone.patterns)![id]!
    const all = (await outer.patterns)![id]!
    expect(Array.from(all.words.subarray(3 * all.wordsPerRow, 7 * all.wordsPerRow))).toEqual(
      Array.from(words.words.subarray(0, 4 * words.wordsPerRow)),
    )
    expect(probe.results()[id]!.bits.rows).toBe(0)
    tf.dispose([a, b, outer.value as tf.Tensor, alone.value])
    probe.dispose()
  })

  test('capture of an async function is refused; a function that returns a promise gets its patterns rejected, never empty', async () => {
    const model = mlp()
    const probe = instrument(model, { reducers: { bits: collect() } })
    const x = tf.randomNormal([2, 12], 0, 1, 'float32', 35)
    expect(() => probe.capture(async () => model.predict(x))).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringContaining('synchronous') }),
    )
    expect(() => probe.capture(async function* () {} as never)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
    expect(() => probe.capture(class {} as never)).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringContaining('not a class') }),
    )
    const { value, patterns } = probe.capture(() => Promise.resolve().then(() => model.predict(x) as tf.Tensor))
    await expect(patterns).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('returned a promise') })
    tf.dispose([await value, x])
    probe.dispose()
  })

  test('measure({ retain, predictions }) keeps the predicted class of every example', async () => {
    const model = mlp()
    const probe = instrument(model)
    const x = tf.randomNormal([9, 12], 0, 1, 'float32', 32)
    const m = await probe.measurePatterns(x, { predictions: true, batchSize: 4 })
    const y = model.predict(x) as tf.Tensor
    expect(Array.from(m.predictions!)).toEqual(Array.from(tf.argMax(y, -1).dataSync()))
    await expect(probe.measure(x, { predictions: true } as never)).rejects.toMatchObject({
      code: 'INVALID_OPTION',
      message: expect.stringContaining('measurePatterns'),
    })
    tf.dispose([x, y])
    probe.dispose()
  })
})
