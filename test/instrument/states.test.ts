// measureStates / mergeStates / resultsOf: parts measured apart and merged are one measurement.
import { beforeAll, expect, test } from 'vitest'
import { hamming, instrument, patternHistogram, unitStats } from '../../src/index.js'
import { data, mlp } from '../helpers/models.js'
import { tf, tfl } from '../helpers/tf.js'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

const reducers = () => ({ units: unitStats(), patterns: patternHistogram(), pairs: hamming() })

function convBn() {
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        inputShape: [6, 6, 2],
        filters: 5,
        kernelSize: 3,
        padding: 'same',
        kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }),
      }),
      tfl.layers.batchNormalization({}),
      tfl.layers.reLU({}),
      tfl.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 4 }) }),
    ],
  })
  return model
}

test('halves measured apart and merged equal one measurement (dense, labels)', async () => {
  const model = mlp()
  const { xs } = data(96)
  const labels = Array.from({ length: 96 }, (_, i) => i % 3)
  const probe = instrument(model, { reducers: reducers() })
  const whole = await probe.measure(xs, { batchSize: 16, labels })
  const [a, b] = [tf.slice(xs, 0, 48), tf.slice(xs, 48, 48)]
  const sa = await probe.measureStates(a, { batchSize: 16, labels: labels.slice(0, 48) })
  const sb = await probe.measureStates(b, { batchSize: 16, labels: labels.slice(48) })
  expect(probe.results(probe.mergeStates(sa, sb))).toEqual(whole)
  // the merge does not change its inputs, and order matters only where passes are ordered
  expect(probe.results(sa)).toEqual(await probe.measure(a, { batchSize: 16, labels: labels.slice(0, 48) }))
  probe.dispose()
  tf.dispose([xs, a, b])
})

test('a conv network with batch statistics (training: true) merges to the same results', async () => {
  const model = convBn()
  const xs = tf.randomNormal([40, 6, 6, 2], 0, 1, 'float32', 9)
  const probe = instrument(model, { reducers: reducers() })
  const before = tf.memory().numTensors
  const whole = await probe.measure(xs, { batchSize: 10, training: true })
  const parts = [0, 20].map((at) => tf.slice(xs, at, 20))
  const states = await Promise.all(parts.map((p) => probe.measureStates(p, { batchSize: 10, training: true })))
  expect(probe.results(probe.mergeStates(states[0]!, states[1]!))).toEqual(whole)
  tf.dispose(parts)
  expect(tf.memory().numTensors).toBe(before)
  probe.dispose()
  xs.dispose()
})

test('results(states()) is results(); foreign states are INVALID_INPUT; retain is refused', async () => {
  const model = mlp()
  const { xs } = data(32)
  const probe = instrument(model, { reducers: reducers() })
  model.predict(xs)
  expect(probe.results(probe.states())).toEqual(probe.results())
  const other = instrument(mlp(2, [12, 5, 3]), { reducers: reducers() })
  const foreign = other.states() as never
  expect(() => probe.mergeStates(probe.states(), foreign)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
  expect(() => probe.results({} as never)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
  await expect(probe.measureStates(xs, { retain: true } as never)).rejects.toMatchObject({ code: 'INVALID_OPTION' })
  // damaged states keep their own code through resultsOf and mergeStates
  const damaged = probe.states() as Record<string, { patterns: { rows: number } }>
  damaged[probe.sites[0]!.id]!.patterns.rows += 1
  expect(() => probe.results(damaged as never)).toThrow(expect.objectContaining({ code: 'CORRUPT_DATA' }))
  expect(() => probe.mergeStates(damaged as never, probe.states())).toThrow(expect.objectContaining({ code: 'CORRUPT_DATA' }))
  probe.dispose()
  expect(() => probe.states()).toThrow(expect.objectContaining({ code: 'DISPOSED' }))
  await expect(probe.measureStates(xs)).rejects.toMatchObject({ code: 'DISPOSED' })
  other.dispose()
  xs.dispose()
})
