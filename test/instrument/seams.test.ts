import { afterEach, describe, expect, test } from 'vitest'
import { instrument, patternHistogram, probeOf, unitStats } from '../../src/index.js'
import { mlp } from '../helpers/models.js'
import { tf } from '../helpers/tf.js'

afterEach(() => tf.disposeVariables())

describe('the public seams of a probe', () => {
  test('probe.options holds what the probe was made with, reducers included, and cannot be changed', () => {
    const model = mlp(3)
    const reducers = { u: unitStats(), h: patternHistogram({ maxBytes: 1 << 16 }) }
    const probe = instrument(model, { reducers, granularity: 'example', every: 2 })
    expect(probe.options.reducers).toEqual(reducers)
    expect(probe.options.granularity).toBe('example')
    expect(probe.options.every).toBe(2)
    expect(Object.isFrozen(probe.options)).toBe(true)
    probe.dispose()
    // the default reducers are written out, so that the probe can be made again from its options
    const plain = instrument(model)
    expect(Object.keys(plain.options.reducers ?? {})).toEqual(['units', 'patterns'])
    const again = (plain.dispose(), instrument(model, plain.options))
    expect(again.sites.map((s) => s.id)).toEqual(plain.sites.map((s) => s.id))
    again.dispose()
  })

  test('probeOf finds the live probe of a model, and nothing once it is disposed', () => {
    const model = mlp(4)
    expect(probeOf(model)).toBeUndefined()
    const probe = instrument(model)
    expect(probeOf(model)).toBe(probe)
    expect(probeOf(model.layers[0]!)).toBeUndefined() // a tapped layer is not a model
    probe.dispose()
    expect(probeOf(model)).toBeUndefined()
  })
})
