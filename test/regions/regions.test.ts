import fc from 'fast-check'
import { beforeAll, describe, expect, test } from 'vitest'
import { instrument, localComplexity, regionColor, regionMap, regionMapSvg, regionsAlong } from '../../src/index.js'
import { tf, tfl, useCpu } from '../helpers/tf.js'

beforeAll(useCpu)

/** One hidden ReLU layer with the given weights (kernel [d, h], bias [h]). */
function shallow(kernel: number[][], bias: number[]): tfl.Sequential {
  const d = kernel.length
  const h = bias.length
  const model = tfl.sequential({
    layers: [tfl.layers.dense({ units: h, activation: 'relu', inputShape: [d] }), tfl.layers.dense({ units: 2 })],
  })
  model.layers[0]!.setWeights([tf.tensor2d(kernel), tf.tensor1d(bias)])
  return model
}

/** Analytic breakpoints of a one-hidden-layer net along a -> b: where each unit's affine pre-activation crosses 0. */
function crossings(kernel: number[][], bias: number[], a: number[], b: number[]): number[] {
  const out: number[] = []
  bias.forEach((bi, j) => {
    const at = (p: number[]) => p.reduce((s, x, i) => s + x * kernel[i]![j]!, bi)
    const z0 = at(a)
    const slope = at(b) - z0
    const t = -z0 / slope
    if (slope !== 0 && t > 0 && t < 1) out.push(t)
  })
  return out.sort((x, y) => x - y)
}

/** A deeper random net and brute force: the whole-network pattern at `steps + 1` even points. */
function deep(seed: number): tfl.Sequential {
  const init = (s: number) => ({
    kernelInitializer: tfl.initializers.randomNormal({ stddev: 0.8, seed: seed + s }),
    biasInitializer: tfl.initializers.randomNormal({ stddev: 0.5, seed: seed + 40 + s }),
  })
  return tfl.sequential({
    layers: [
      tfl.layers.dense({ units: 10, activation: 'relu', inputShape: [3], ...init(1) }),
      tfl.layers.dense({ units: 8, activation: 'relu', ...init(2) }),
      tfl.layers.dense({ units: 6, activation: 'relu', ...init(3) }),
      tfl.layers.dense({ units: 2, ...init(4) }),
    ],
  })
}

function brutePatterns(model: tfl.Sequential, points: number[][]): string[] {
  const hidden = model.layers.slice(0, -1).map((l) => l.output as tfl.SymbolicTensor)
  const sub = tfl.model({ inputs: model.inputs, outputs: hidden })
  const outs = sub.predict(tf.tensor2d(points)) as tf.Tensor[]
  const rows = points.map(() => '')
  for (const o of outs) {
    const v = o.arraySync() as number[][]
    v.forEach((r, i) => (rows[i] += r.map((x) => (x > 0 ? '1' : '0')).join('')))
  }
  tf.dispose(outs)
  return rows
}

describe('regionsAlong', () => {
  test('one hidden layer: the count and the breakpoints equal the analytic ones', async () => {
    // values in steps of 1/64 (exact in float32), so the analytic and the float32 network agree
    const value = (max: number) => fc.integer({ min: -64 * max, max: 64 * max }).map((k) => k / 64)
    const arb = fc.record({
      kernel: fc.array(fc.array(value(2), { minLength: 6, maxLength: 6 }), { minLength: 3, maxLength: 3 }),
      bias: fc.array(value(1), { minLength: 6, maxLength: 6 }),
      a: fc.array(value(2), { minLength: 3, maxLength: 3 }),
      b: fc.array(value(2), { minLength: 3, maxLength: 3 }),
    })
    let checked = 0
    await fc.assert(
      fc.asyncProperty(arb, async ({ kernel, bias, a, b }) => {
        const f32 = (x: number[]) => Array.from(Float32Array.from(x))
        const k = kernel.map(f32)
        const bi = f32(bias)
        const [pa, pb] = [f32(a), f32(b)]
        const want = crossings(k, bi, pa, pb)
        // regions narrower than the tolerance may merge: only compare where every gap is wider
        const gaps = [0, ...want, 1].slice(1).map((t, i) => t - [0, ...want][i]!)
        fc.pre(gaps.every((g) => g > 1e-3) && pa.some((x, i) => Math.abs(x - pb[i]!) > 1e-3))
        checked++
        const model = shallow(k, bi)
        const before = tf.memory().numTensors
        const [from, to] = [tf.tensor1d(pa), tf.tensor1d(pb)]
        const r = await regionsAlong(model, from, to, { tolerance: 1e-5, grid: 4 })
        tf.dispose([from, to])
        expect(tf.memory().numTensors).toBe(before)
        expect(r.regions).toBe(want.length + 1)
        r.breakpoints.forEach((t, i) => expect(Math.abs(t - want[i]!)).toBeLessThanOrEqual(1e-5 / 2 + 1e-6))
      }),
      { numRuns: 40, seed: 11 },
    )
    expect(checked).toBeGreaterThan(20)
  })

  test('deeper network: equals brute-force sampling finer than the narrowest region', async () => {
    for (const seed of [1, 2, 3]) {
      const model = deep(seed)
      const a = [-2.5, 1.5, -1]
      const b = [2, -2, 2.5]
      const steps = 20000
      const points = Array.from({ length: steps + 1 }, (_, k) => a.map((x, i) => x + (k / steps) * (b[i]! - x)))
      const rows = brutePatterns(model, points)
      const changes: number[] = []
      for (let k = 0; k < steps; k++) if (rows[k] !== rows[k + 1]) changes.push(k)
      const widths = [-1, ...changes, steps].slice(1).map((c, i) => c - [-1, ...changes][i]!)
      expect(Math.min(...widths)).toBeGreaterThan(3) // brute force resolves every region
      const r = await regionsAlong(model, tf.tensor1d(a), tf.tensor1d(b), { tolerance: 1e-6 })
      expect(r.regions).toBe(changes.length + 1)
      expect(r.regions).toBeGreaterThan(5)
      r.breakpoints.forEach((t, i) => {
        const k = changes[i]!
        expect(t).toBeGreaterThanOrEqual(k / steps - 1e-6)
        expect(t).toBeLessThanOrEqual((k + 1) / steps + 1e-6)
      })
      // fewer evaluations than the brute force
      expect(r.evaluations).toBeLessThan(steps / 10)
    }
  })

  test('an instrumented model: its probe makes the pattern, its training stream is untouched', async () => {
    const model = deep(4)
    const probe = instrument(model, { sites: [model.layers[0]!.name] })
    const r = await regionsAlong(model, tf.tensor1d([-2, 0, 1]), tf.tensor1d([2, 1, -1]))
    const alone = crossings(
      model.layers[0]!.getWeights()[0]!.arraySync() as number[][],
      model.layers[0]!.getWeights()[1]!.arraySync() as number[],
      [-2, 0, 1],
      [2, 1, -1],
    )
    expect(r.regions).toBe(alone.length + 1)
    expect(probe.counters()[probe.sites[0]!.id]!.rows).toBe(0)
    // the probe itself is taken where the model is, with the same reading
    const byProbe = await regionsAlong(probe, tf.tensor1d([-2, 0, 1]), tf.tensor1d([2, 1, -1]))
    expect(byProbe.breakpoints).toEqual(r.breakpoints)
    await expect(regionsAlong(model, tf.tensor1d([0, 0, 0]), tf.tensor1d([1, 1, 1]), { sites: ['x'] })).rejects.toMatchObject({
      code: 'INVALID_OPTION',
    })
    probe.dispose()
    await expect(regionsAlong(probe, tf.tensor1d([0, 0, 0]), tf.tensor1d([1, 1, 1]))).rejects.toMatchObject({ code: 'DISPOSED' })
    instrument(model).dispose() // nothing left tapped
  })

  test('bad input is a coded error before any forward pass', async () => {
    const model = deep(5)
    const predict = model.predict.bind(model)
    let calls = 0
    model.predict = ((x: tf.Tensor) => (calls++, predict(x))) as typeof model.predict
    const p = tf.tensor1d([0, 0, 0])
    await expect(regionsAlong(model, p, tf.tensor1d([1, 1]))).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    await expect(regionsAlong(model, tf.tensor1d([1, 2]), tf.tensor1d([1, 1]))).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    await expect(regionsAlong(model, p, p)).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    await expect(regionsAlong(model, p, tf.tensor1d([1, 1, 1]), { tolerance: 1e-9 })).rejects.toMatchObject({ code: 'INVALID_OPTION' })
    await expect(regionsAlong(model, p, tf.tensor1d([1, 1, 1]), { tolerence: 1e-3 } as never)).rejects.toMatchObject({
      code: 'INVALID_OPTION',
      message: expect.stringContaining('tolerance'),
    })
    const linear = tfl.sequential({ layers: [tfl.layers.dense({ units: 2, inputShape: [3] })] })
    await expect(regionsAlong(linear, p, tf.tensor1d([1, 1, 1]))).rejects.toMatchObject({ code: 'NO_RELU_SITES' })
    expect(calls).toBe(0)
  })
})

describe('regionMap', () => {
  test('every pixel gets the region of its whole-network pattern (brute force), and the picture shows them', async () => {
    const model = deep(6)
    const origin = [0.2, -0.1, 0.3]
    const u = [1, 0, 0.5]
    const v = [0, 1, -0.5]
    const before = tf.memory().numTensors
    const map = await regionMap(model, {
      origin: tf.tensor1d(origin),
      directions: [tf.tensor1d(u), tf.tensor1d(v)],
      extent: [2, 1.5],
      resolution: [40, 30],
    })
    expect(tf.memory().numTensors).toBe(before + 3)
    const points: number[][] = []
    for (let j = 0; j < 30; j++) {
      for (let i = 0; i < 40; i++) {
        const s = 2 * ((2 * i + 1) / 40 - 1)
        const t = 1.5 * (1 - (2 * j + 1) / 30)
        points.push(origin.map((o, d) => Math.fround(o + s * u[d]! + t * v[d]!)))
      }
    }
    const rows = brutePatterns(model, points)
    const seen = new Map<string, number>()
    const want = rows.map((r) => {
      if (!seen.has(r)) seen.set(r, seen.size)
      return seen.get(r)!
    })
    expect(Array.from(map.ids)).toEqual(want)
    expect(map.regions).toBe(seen.size)
    expect(map.regions).toBeGreaterThan(5)
    expect(Array.from(map.sizes).reduce((a, b) => a + b, 0)).toBe(1200)
    const svg = regionMapSvg(map, { scale: 3 })
    expect(svg).toContain(`<title>${map.regions} activation regions</title>`)
    expect(svg).toContain('width="120" height="90"')
    expect(svg).toContain('fill="#000"')
    // without boundaries, every pixel is painted once, in its region's colour
    const plain = regionMapSvg(map, { boundaries: false })
    const painted = new Array<string | null>(1200).fill(null)
    for (const [, fill, d] of plain.matchAll(/<path fill="([^"]+)" d="([^"]+)"\/>/g)) {
      for (const [, i, j, w] of d!.matchAll(/M(\d+) (\d+)h(\d+)v1h-\d+z/g)) {
        for (let x = Number(i); x < Number(i) + Number(w); x++) {
          const k = Number(j) * 40 + x
          expect(painted[k]).toBeNull()
          painted[k] = fill!
        }
      }
    }
    expect(painted).toEqual(Array.from(map.ids, (id) => regionColor(id)))
    expect(() => regionMapSvg(map, { boundaries: 'no' as never })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
  })

  test('zero extent, a zero direction and a map too large for memory are refused before any work', async () => {
    const model = deep(7)
    const o = tf.tensor1d([0, 0, 0])
    const dirs: [tf.Tensor, tf.Tensor] = [tf.tensor1d([1, 0, 0]), tf.tensor1d([0, 1, 0])]
    await expect(regionMap(model, { origin: o, directions: dirs, extent: 0, resolution: 10 })).rejects.toMatchObject({
      code: 'INVALID_OPTION',
    })
    await expect(regionMap(model, { origin: o, directions: [dirs[0], tf.zeros([3])], extent: 1, resolution: 10 })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    })
    await expect(regionMap(model, { origin: o, directions: dirs, extent: 1, resolution: 100000 })).rejects.toMatchObject({
      code: 'INVALID_OPTION',
      message: expect.stringContaining('maxBytes'),
    })
    await expect(regionMap(model, { origin: o, directions: dirs, extent: 1, resolution: 2.5 })).rejects.toMatchObject({
      code: 'INVALID_OPTION',
    })
    instrument(model).dispose()
  })
})

describe('localComplexity', () => {
  test('in one dimension it counts the units whose kink lies within the radius (plus one)', async () => {
    const w = [1, -2, 0.5, 3, -1]
    const b = [0.3, 0.1, -0.2, 0.75, -0.4]
    const model = shallow([w], b)
    const kinks = w.map((wi, j) => -b[j]! / wi)
    const xs = [-0.5, 0, 0.25, 0.7]
    const radius = 0.28
    const r = await localComplexity(model, tf.tensor2d(xs, [4, 1]), { radius, lines: 3, seed: 2 })
    xs.forEach((x, e) => expect(r.perInput[e]).toBe(1 + kinks.filter((k) => Math.abs(k - x) < radius).length))
    expect(r.mean).toBeCloseTo(Array.from(r.perInput).reduce((s, v) => s + v, 0) / 4, 12)
    const again = await localComplexity(model, tf.tensor2d(xs, [4, 1]), { radius, lines: 3, seed: 2 })
    expect(again.perInput).toEqual(r.perInput)
    await expect(localComplexity(model, tf.tensor2d(xs, [4, 1]), { radius: 0 })).rejects.toMatchObject({ code: 'INVALID_OPTION' })
  })

  test('a longer radius crosses at least as many regions along the same lines (they contain the shorter ones)', async () => {
    const model = deep(8)
    const xs = tf.tensor2d([
      [0.1, 0.2, -0.3],
      [1, -1, 0.5],
    ])
    const near = await localComplexity(model, xs, { radius: 0.2, lines: 4, seed: 9, tolerance: 1e-5 })
    const far = await localComplexity(model, xs, { radius: 1.5, lines: 4, seed: 9, tolerance: 1e-5 })
    expect(far.perInput.length).toBe(2)
    far.perInput.forEach((v, e) => expect(v).toBeGreaterThanOrEqual(near.perInput[e]!))
    expect(far.mean).toBeGreaterThan(near.mean)
    for (const v of near.perInput) expect(v).toBeGreaterThanOrEqual(1)
  })
})

test('a walk from, to or along NaN or ±Infinity is INVALID_INPUT, not one region', async () => {
  const model = tfl.sequential({ layers: [tfl.layers.dense({ units: 4, inputShape: [2], activation: 'relu' })] })
  const ok = tf.tensor2d([[0, 0]])
  for (const v of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
    const bad = tf.tensor2d([[v, 0]])
    await expect(regionsAlong(model, ok, bad)).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining(`holds ${v} at index 0`),
    })
    await expect(regionsAlong(model, bad, ok)).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    await expect(regionMap(model, { origin: bad, directions: [ok, ok], resolution: 4, extent: 1 })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    })
    await expect(
      regionMap(model, { origin: ok, directions: [bad, tf.tensor2d([[0, 1]])], resolution: 4, extent: 1 }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    await expect(localComplexity(model, bad, { radius: 0.1, lines: 2 })).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    bad.dispose()
  }
  ok.dispose()
  model.dispose()
})

test('a walk whose points overflow float32 (a huge radius or extent) is INVALID_INPUT, not one region', async () => {
  const model = tfl.sequential({ layers: [tfl.layers.dense({ units: 4, inputShape: [2], activation: 'relu' })] })
  const x = tf.tensor2d([[0.5, 0.5]])
  await expect(localComplexity(model, x, { radius: 1e39, lines: 2 })).rejects.toMatchObject({
    code: 'INVALID_INPUT',
    message: expect.stringContaining("past float32's range"),
  })
  const u = tf.tensor2d([[1e10, 1e10]])
  const v = tf.tensor2d([[1e10, 0]])
  await expect(regionMap(model, { origin: x, directions: [u, v], resolution: 4, extent: 1e30 })).rejects.toMatchObject({
    code: 'INVALID_INPUT',
  })
  tf.dispose([x, u, v])
  model.dispose()
})
