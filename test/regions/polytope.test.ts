import { beforeAll, describe, expect, test } from 'vitest'
import { instrument, localComplexity } from '../../src/index.js'
import { tf, tfl, useCpu } from '../helpers/tf.js'

beforeAll(useCpu)

const seeded = (i: number) => tfl.initializers.glorotUniform({ seed: i })

/**
 * Brute force over the same vertices: the model's own layers, run on every vertex, and per
 * layer the units (times positions) that are on at one vertex and off at another.
 */
function bruteForce(model: tfl.LayersModel, x: number[], shape: number[], directions: number[][], radius: number): number[] {
  const hidden = model.layers.filter((l) => (l.getConfig() as { activation?: string }).activation === 'relu')
  const exposing = tfl.model({ inputs: model.inputs, outputs: hidden.map((l) => l.output as tfl.SymbolicTensor) })
  const vertices: number[][] = []
  for (const d of directions) {
    const norm = Math.sqrt(d.reduce((s, v) => s + v * v, 0))
    for (const sign of [1, -1]) vertices.push(x.map((v, i) => v + sign * radius * (d[i]! / norm)))
  }
  const outs = tf.tidy(() => {
    const y = exposing.predict(tf.tensor(vertices.flat(), [vertices.length, ...shape]))
    return (Array.isArray(y) ? y : [y]).map((t) => ({ values: t.dataSync(), size: t.size / vertices.length }))
  })
  return outs.map(({ values, size }) => {
    let n = 0
    for (let u = 0; u < size; u++) {
      let on = false
      let off = false
      for (let v = 0; v < vertices.length; v++) values[v * size + u]! > 0 ? (on = true) : (off = true)
      if (on && off) n++
    }
    return n
  })
}

describe("localComplexity(..., { method: 'polytope' }), as Humayun et al. define it", () => {
  test('per site and in total, equal to brute force over the same vertices: an MLP and a conv net, given directions', async () => {
    const mlp = tfl.sequential({
      layers: [
        tfl.layers.dense({ inputShape: [6], units: 10, activation: 'relu', kernelInitializer: seeded(1), biasInitializer: 'glorotNormal' }),
        tfl.layers.dense({ units: 8, activation: 'relu', kernelInitializer: seeded(2) }),
        tfl.layers.dense({ units: 3, kernelInitializer: seeded(3) }),
      ],
    })
    const conv = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [5, 5, 1], filters: 4, kernelSize: 3, activation: 'relu', kernelInitializer: seeded(4) }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 6, activation: 'relu', kernelInitializer: seeded(5) }),
        tfl.layers.dense({ units: 2, kernelInitializer: seeded(6) }),
      ],
    })
    for (const [model, shape] of [
      [mlp, [6]],
      [conv, [5, 5, 1]],
    ] as const) {
      const dims = (shape as readonly number[]).reduce((a, b) => a * b, 1)
      const xs = Array.from({ length: 3 }, (_, e) => Array.from({ length: dims }, (_, i) => Math.sin(e * 7 + i * 1.3)))
      const directions = Array.from({ length: 4 }, (_, k) =>
        Array.from({ length: dims }, (_, i) => Math.cos(k * 3.1 + i * 0.7) + (i === k ? 1 : 0)),
      )
      for (const radius of [0.05, 0.5, 2]) {
        const inputs = tf.tensor(xs.flat(), [xs.length, ...shape])
        const r = await localComplexity(model, inputs, { method: 'polytope', radius, directions })
        inputs.dispose()
        expect(r).toMatchObject({ method: 'polytope', radius, directions: 4, evaluations: 3 * 8 })
        xs.forEach((x, e) => {
          const expected = bruteForce(model, x, [...shape], directions, radius)
          expect(
            r.sites.map((s) => s.perInput[e]),
            `input ${e}, radius ${radius}`,
          ).toEqual(expected)
          expect(r.perInput[e]).toBe(expected.reduce((a, b) => a + b, 0))
        })
        expect(r.mean).toBeCloseTo(r.perInput.reduce((a, b) => a + b, 0) / 3, 12)
      }
      // a larger polytope cuts at least as many units here, and a tiny one almost none
      const inputs = tf.tensor(xs.flat(), [xs.length, ...shape])
      const tiny = await localComplexity(model, inputs, { method: 'polytope', radius: 1e-6, directions })
      expect(tiny.mean).toBeLessThan(1)
      inputs.dispose()
    }
  })

  test('drawn directions: orthonormal, one polytope per seed; options and inputs are checked; an instrumented model keeps its probe', async () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.dense({ inputShape: [5], units: 12, activation: 'relu', kernelInitializer: seeded(7), biasInitializer: 'glorotNormal' }),
      ],
    })
    const xs = tf.randomNormal([4, 5], 0, 1, 'float32', 3)
    const before = tf.memory().numTensors
    const a = await localComplexity(model, xs, { method: 'polytope', radius: 0.8, directions: 3, seed: 2 })
    const b = await localComplexity(model, xs, { method: 'polytope', radius: 0.8, directions: 3, seed: 2 })
    expect(Array.from(b.perInput)).toEqual(Array.from(a.perInput))
    expect(a.directions).toBe(3)
    // as many directions as dimensions: the most that can be orthonormal
    const full = await localComplexity(model, xs, { method: 'polytope', radius: 0.8, directions: 5, seed: 1 })
    expect(full.directions).toBe(5)
    expect(full.evaluations).toBe(4 * 10)
    const bad = expect.objectContaining({ code: 'INVALID_OPTION' })
    await expect(localComplexity(model, xs, { method: 'polytope', radius: 0.8, directions: 6 })).rejects.toThrow(bad)
    await expect(localComplexity(model, xs, { method: 'polytope', radius: 0.8, directions: [[1, 2]] })).rejects.toThrow(bad)
    await expect(localComplexity(model, xs, { method: 'polytope', radius: 0.8, directions: [[0, 0, 0, 0, 0]] })).rejects.toThrow(bad)
    await expect(localComplexity(model, xs, { method: 'polytope', radius: 0 } as never)).rejects.toThrow(bad)
    await expect(localComplexity(model, xs, { method: 'polytope', radius: 1, lines: 3 } as never)).rejects.toThrow(bad)
    await expect(localComplexity(model, xs, { method: 'cube', radius: 1 } as never)).rejects.toThrow(bad)
    // an instrumented model: its probe's sites make the count, and the probe stays
    const probe = instrument(model)
    const withProbe = await localComplexity(probe, xs, { method: 'polytope', radius: 0.8, directions: 3, seed: 2 })
    expect(Array.from(withProbe.perInput)).toEqual(Array.from(a.perInput))
    expect(probe.sites.length).toBe(1)
    probe.dispose()
    // no tensor left behind, refusals included
    expect(tf.memory().numTensors).toBe(before)
    xs.dispose()
  })
})

test('drawn directions are orthonormal to 1e-12, and the same for the same seed', async () => {
  const { directionsOf } = await import('../../src/regions/polytope.js')
  const dims = 40
  const d = directionsOf(25, dims, 7, 'test')
  for (let i = 0; i < 25; i++)
    for (let j = 0; j <= i; j++) {
      let dot = 0
      for (let k = 0; k < dims; k++) dot += d[i * dims + k]! * d[j * dims + k]!
      expect(Math.abs(dot - (i === j ? 1 : 0))).toBeLessThan(1e-12)
    }
  expect(Array.from(directionsOf(25, dims, 7, 'test'))).toEqual(Array.from(d))
  expect(Array.from(directionsOf(25, dims, 8, 'test'))).not.toEqual(Array.from(d))
})
