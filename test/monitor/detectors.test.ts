import fc from 'fast-check'
import { beforeAll, describe, expect, test } from 'vitest'
import {
  type Features,
  evaluateDetectors,
  evaluateScores,
  featuresOf,
  instrument,
  knnFit,
  knnScores,
  mahalanobisFit,
  mahalanobisScores,
  measureFeatures,
  mergeKnn,
  mergeMahalanobis,
} from '../../src/index.js'
import { data, mlp } from '../helpers/models.js'
import { tf, tfl, useCpu } from '../helpers/tf.js'

beforeAll(useCpu)

const featuresFrom = (rows: number[][]): Features => ({
  examples: rows.length,
  dims: rows[0]!.length,
  values: Float32Array.from(rows.flat()),
  sites: [{ id: 's', units: rows[0]!.length, offset: 0 }],
})

/** Brute force: the inverse by Gauss-Jordan elimination with partial pivoting. */
function inverse(a: number[][]): number[][] {
  const n = a.length
  const m = a.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))])
  for (let c = 0; c < n; c++) {
    let p = c
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r
    ;[m[c], m[p]] = [m[p]!, m[c]!]
    const pivot = m[c]![c]!
    for (let j = 0; j < 2 * n; j++) m[c]![j]! /= pivot
    for (let r = 0; r < n; r++) {
      if (r === c) continue
      const f = m[r]![c]!
      for (let j = 0; j < 2 * n; j++) m[r]![j]! -= f * m[c]![j]!
    }
  }
  return m.map((row) => row.slice(n))
}

/** Brute force: class means, the pooled covariance (1/n), the ridge, min over classes of (x - mu)^T S^-1 (x - mu). */
function mahalanobisBrute(train: number[][], labels: number[], queries: number[][], ridge: number): number[] {
  const d = train[0]!.length
  const classes = [...new Set(labels)]
  const mean = (c: number): number[] => {
    const rows = train.filter((_, i) => labels[i] === c).map((r) => r.map((v) => Math.fround(v)))
    return Array.from({ length: d }, (_, j) => rows.reduce((s, r) => s + r[j]!, 0) / rows.length)
  }
  const mu = new Map(classes.map((c) => [c, mean(c)]))
  const cov = Array.from({ length: d }, (_, j) =>
    Array.from(
      { length: d },
      (_, k) =>
        train.reduce((s, r, i) => s + (Math.fround(r[j]!) - mu.get(labels[i]!)![j]!) * (Math.fround(r[k]!) - mu.get(labels[i]!)![k]!), 0) /
        train.length,
    ),
  )
  const meanDiag = cov.reduce((s, row, j) => s + row[j]!, 0) / d
  for (let j = 0; j < d; j++) cov[j]![j]! += ridge * (meanDiag > 0 ? meanDiag : 1)
  const p = inverse(cov)
  return queries.map((q) =>
    Math.min(
      ...classes.map((c) => {
        const x = q.map((v, j) => Math.fround(v) - mu.get(c)![j]!)
        return x.reduce((s, xj, j) => s + xj * x.reduce((t, xk, k) => t + p[j]![k]! * xk, 0), 0)
      }),
    ),
  )
}

/** Brute force: unit-length vectors, every distance, sorted, the k-th. */
function knnBrute(train: number[][], queries: number[][], k: number): number[] {
  const unit = (v: number[]): number[] => {
    const f = v.map((x) => Math.fround(x))
    const n = Math.sqrt(f.reduce((s, x) => s + x * x, 0))
    return f.map((x) => (n > 0 ? Math.fround(x / n) : 0))
  }
  const t = train.map(unit)
  return queries.map((q) => {
    const u = unit(q)
    const ds = t.map((r) => Math.sqrt(r.reduce((s, x, j) => s + (x - u[j]!) ** 2, 0))).sort((a, b) => a - b)
    return ds[k - 1]!
  })
}

const rowsOf = (d: number, min: number, max: number) =>
  fc.array(
    fc.array(
      fc.integer({ min: -20, max: 20 }).map((v) => v / 4),
      { minLength: d, maxLength: d },
    ),
    { minLength: min, maxLength: max },
  )

describe('Mahalanobis', () => {
  test('scores equal brute force (means, pooled covariance, its inverse, the nearest class)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }).chain((d) => fc.tuple(rowsOf(d, 6, 30), rowsOf(d, 1, 5))),
        fc.integer({ min: 1, max: 3 }),
        ([train, queries], classes) => {
          const labels = train.map((_, i) => i % classes)
          const fit = mahalanobisFit(featuresFrom(train), labels, { ridge: 1e-3 })
          const got = mahalanobisScores(fit, featuresFrom(queries))
          const want = mahalanobisBrute(train, labels, queries, 1e-3)
          want.forEach((w, i) => expect(got[i]).toBeCloseTo(w, Math.max(0, 6 - Math.round(Math.log10(Math.max(1, Math.abs(w)))))))
        },
      ),
      { numRuns: 60 },
    )
  })

  test('the merge of two fits is the fit of both data sets, up to rounding, whichever the order', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }).chain((d) => fc.tuple(rowsOf(d, 2, 20), rowsOf(d, 2, 20), rowsOf(d, 1, 4))),
        ([a, b, queries]) => {
          const la = a.map((_, i) => i % 2)
          const lb = b.map((_, i) => (i % 3) % 2)
          const whole = mahalanobisScores(mahalanobisFit(featuresFrom([...a, ...b]), [...la, ...lb]), featuresFrom(queries))
          for (const merged of [
            mergeMahalanobis(mahalanobisFit(featuresFrom(a), la), mahalanobisFit(featuresFrom(b), lb)),
            mergeMahalanobis(mahalanobisFit(featuresFrom(b), lb), mahalanobisFit(featuresFrom(a), la)),
          ]) {
            const got = mahalanobisScores(merged, featuresFrom(queries))
            whole.forEach((w, i) => expect(Math.abs(got[i]! - w)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(w))))
          }
        },
      ),
      { numRuns: 60 },
    )
  })

  test('a unit that never varied in training keeps the covariance invertible, and its activity scores high', () => {
    const train = [
      [1, 0],
      [2, 0],
      [3, 0],
    ]
    const fit = mahalanobisFit(featuresFrom(train), [0, 0, 0])
    const [inside, dead] = mahalanobisScores(
      fit,
      featuresFrom([
        [2, 0],
        [2, 1],
      ]),
    )
    expect(inside).toBeCloseTo(0, 9)
    expect(dead).toBeGreaterThan(1e5)
  })

  test('wrong inputs are coded errors; a non-finite feature scores Infinity', () => {
    const f = featuresFrom([
      [1, 2],
      [3, 4],
    ])
    expect(() => mahalanobisFit(f, [0])).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
    expect(() => mahalanobisFit(f, [0, -1])).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
    expect(() => mahalanobisFit(featuresFrom([[1, Number.NaN]]), [0])).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
    expect(() => mahalanobisFit(f, [0, 1], { ridge: -1 })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
    expect(() => mahalanobisFit(f, [0, 1], { rigde: 1 } as never)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
    const fit = mahalanobisFit(f, [0, 1])
    expect(() => mahalanobisScores(fit, featuresFrom([[1, 2, 3]]))).toThrow(expect.objectContaining({ code: 'MODEL_MISMATCH' }))
    expect(() => mahalanobisScores({ ...fit, means: new Float64Array(1) }, f)).toThrow(expect.objectContaining({ code: 'CORRUPT_DATA' }))
    expect(mahalanobisScores(fit, featuresFrom([[Number.POSITIVE_INFINITY, 0]]))[0]).toBe(Number.POSITIVE_INFINITY)
    const none = { examples: 0, dims: 2, values: new Float32Array(0), sites: [] }
    expect(() => mahalanobisFit(none, [])).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
    expect(mahalanobisScores(fit, none)).toHaveLength(0)
    expect(() => mahalanobisScores(fit, { ...f, examples: 5 })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
  })

  test('shards that lack a class, or hold more classes, merge into the fit of their union', () => {
    const a = [
      [1, 2],
      [2, 1],
      [0, 1],
    ]
    const b = [
      [5, 5],
      [6, 4],
      [9, 9],
      [8, 7],
      [1, 1],
    ]
    const la = [0, 0, 0] // class 0 only
    const lb = [2, 2, 3, 3, 0] // no class 1 at all, classes 2 and 3
    const q = featuresFrom([
      [3, 3],
      [7, 8],
      [0, 0],
    ])
    const whole = mahalanobisScores(mahalanobisFit(featuresFrom([...a, ...b]), [...la, ...lb], { ridge: 1e-3 }), q)
    const merged = mergeMahalanobis(
      mahalanobisFit(featuresFrom(a), la, { ridge: 1e-3 }),
      mahalanobisFit(featuresFrom(b), lb, { ridge: 1e-3 }),
    )
    expect(merged.classes).toBe(4)
    expect(Array.from(merged.counts)).toEqual([4, 0, 2, 2])
    const got = mahalanobisScores(merged, q)
    whole.forEach((w, i) => expect(got[i]).toBeCloseTo(w, 9))
  })
})

describe('kNN', () => {
  test('scores equal brute force: the k-th smallest distance between unit-length vectors', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }).chain((d) => fc.tuple(rowsOf(d, 3, 25), rowsOf(d, 1, 5))),
        fc.integer({ min: 1, max: 3 }),
        ([train, queries], k) => {
          const got = knnScores(knnFit(featuresFrom(train), { k }), featuresFrom(queries))
          knnBrute(train, queries, k).forEach((w, i) => expect(got[i]).toBeCloseTo(w, 5))
        },
      ),
      { numRuns: 80 },
    )
  })

  test('merged detectors score as the fit of both sets', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }).chain((d) => fc.tuple(rowsOf(d, 2, 15), rowsOf(d, 2, 15), rowsOf(d, 1, 4))),
        ([a, b, queries]) => {
          const whole = knnScores(knnFit(featuresFrom([...a, ...b]), { k: 2 }), featuresFrom(queries))
          const merged = knnScores(mergeKnn(knnFit(featuresFrom(b), { k: 2 }), knnFit(featuresFrom(a), { k: 2 })), featuresFrom(queries))
          expect(Array.from(merged)).toEqual(Array.from(whole))
        },
      ),
      { numRuns: 50 },
    )
  })

  test('wrong inputs are coded errors; a non-finite feature scores Infinity', () => {
    const f = featuresFrom([
      [1, 2],
      [3, 4],
    ])
    expect(() => knnFit(f, { k: 3 })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
    expect(() => knnFit(f, { k: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
    const fit = knnFit(f)
    expect(() => knnScores(fit, featuresFrom([[1]]))).toThrow(expect.objectContaining({ code: 'MODEL_MISMATCH' }))
    expect(() => mergeKnn(fit, knnFit(f, { k: 2 }))).toThrow(expect.objectContaining({ code: 'MODEL_MISMATCH' }))
    expect(() => knnScores({ ...fit, examples: 5 }, f)).toThrow(expect.objectContaining({ code: 'CORRUPT_DATA' }))
    expect(knnScores(fit, featuresFrom([[Number.NaN, 1]]))[0]).toBe(Number.POSITIVE_INFINITY)
    expect(() => knnScores(fit, { ...f, examples: 10 })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
    expect(() => knnFit({ examples: 0, dims: 2, values: new Float32Array(0), sites: [] })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    )
  })
})

describe('features from a model', () => {
  function convNet(): ReturnType<typeof tfl.sequential> {
    return tfl.sequential({
      layers: [
        tfl.layers.conv2d({
          inputShape: [6, 6, 2],
          filters: 4,
          kernelSize: 3,
          activation: 'relu',
          kernelInitializer: tfl.initializers.glorotNormal({ seed: 3 }),
          name: 'c1',
        }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 5, activation: 'relu', kernelInitializer: tfl.initializers.glorotNormal({ seed: 4 }), name: 'd1' }),
        tfl.layers.dense({ units: 3, activation: 'softmax', name: 'out' }),
      ],
    })
  }

  test('each example: a dense site as it is, a conv site averaged over positions, concatenated; predictions; no tensor left', async () => {
    const model = convNet()
    const x = tf.randomNormal([7, 6, 6, 2], 0, 1, 'float32', 11)
    const tensors = tf.memory().numTensors
    const f = await measureFeatures(model, x, { sites: ['c1', 'd1'], batchSize: 3 })
    expect(tf.memory().numTensors).toBe(tensors)
    // independent: a second model exposing the layers' outputs
    const sub = tfl.model({
      inputs: model.inputs,
      outputs: [model.getLayer('c1').output as tfl.SymbolicTensor, model.getLayer('d1').output as tfl.SymbolicTensor],
    })
    const [c, d] = sub.predict(x) as tf.Tensor[]
    const cMean = tf.mean(c!, [1, 2]).arraySync() as number[][]
    const dv = d!.arraySync() as number[][]
    const classes = Array.from(tf.argMax(model.predict(x) as tf.Tensor, -1).dataSync())
    expect(f.dims).toBe(9)
    expect(f.sites).toEqual([
      { id: 'c1', units: 4, offset: 0 },
      { id: 'd1', units: 5, offset: 4 },
    ])
    expect(Array.from(f.predictions!)).toEqual(classes)
    for (let e = 0; e < 7; e++) {
      for (let u = 0; u < 4; u++) expect(f.values[e * 9 + u]).toBeCloseTo(cMean[e]![u]!, 5)
      for (let u = 0; u < 5; u++) expect(f.values[e * 9 + 4 + u]).toBeCloseTo(dv[e]![u]!, 5)
    }
    tf.dispose([x, c!, d!])
  })

  test('the same pass feeds the pattern monitor and the detectors; a probe that reads only bits says so', async () => {
    const model = mlp(2, [12, 10, 8, 3])
    const train = data(40, 12, 3, 9)
    const plain = instrument(model, { reducers: {} })
    await expect(plain.measurePatterns(train.xs, { values: true })).rejects.toMatchObject({ code: 'INVALID_OPTION' })
    await expect(plain.measure(train.xs, { values: true } as never)).rejects.toMatchObject({ code: 'INVALID_OPTION' })
    await expect(measureFeatures(model, train.xs)).rejects.toMatchObject({ code: 'ALREADY_INSTRUMENTED' })
    plain.dispose()
    const probe = instrument(model, { reducers: {}, values: true })
    const m = await probe.measurePatterns(train.xs, { values: true, predictions: true })
    const id = probe.sites[1]!.id
    const f = featuresOf(m, [id])
    // the model's own probe (it reads values) gives the same features
    expect(Array.from((await measureFeatures(model, train.xs, { sites: [id] })).values)).toEqual(Array.from(f.values))
    // the features' signs are the measurement's patterns
    const p = m.patterns[id]!
    for (let e = 0; e < 40; e++)
      for (let u = 0; u < p.units; u++)
        expect((p.words[e * p.wordsPerRow + (u >>> 5)]! >>> (u & 31)) & 1).toBe(f.values[e * f.dims + u]! > 0 ? 1 : 0)
    expect(() => featuresOf(m, ['nope'])).toThrow(expect.objectContaining({ code: 'UNKNOWN_SITE' }))
    expect(() => featuresOf({ predictions: m.predictions! })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
    probe.dispose()
    // the model's own probe must record the sites, per position
    const one = instrument(model, { reducers: {}, values: true, sites: [probe.sites[0]!.id] })
    await expect(measureFeatures(model, train.xs, { sites: [id] })).rejects.toMatchObject({
      code: 'ALREADY_INSTRUMENTED',
      message: expect.stringContaining(`does not record ${id}`),
    })
    one.dispose()
    const perExample = instrument(model, { reducers: {}, values: true, granularity: 'example' })
    await expect(measureFeatures(model, train.xs, { sites: [id] })).rejects.toMatchObject({ code: 'ALREADY_INSTRUMENTED' })
    perExample.dispose()
    // a saturation plane (relu6) has the values of its sign site: kept once
    const six = tfl.sequential({
      layers: [
        tfl.layers.dense({
          inputShape: [12],
          units: 6,
          activation: 'relu6',
          kernelInitializer: tfl.initializers.glorotNormal({ seed: 5 }),
        }),
        tfl.layers.dense({ units: 3, activation: 'softmax' }),
      ],
    })
    const withSaturation = instrument(six, { reducers: {}, values: true, saturation: true })
    const s = await withSaturation.measurePatterns(train.xs, { values: true })
    expect(Object.keys(s.values!).sort()).toEqual(
      withSaturation.sites
        .filter((x) => x.plane === 'sign')
        .map((x) => x.id)
        .sort(),
    )
    expect(withSaturation.sites.some((x) => x.plane === 'saturation')).toBe(true)
    withSaturation.dispose()
    tf.dispose([train.xs, train.ys])
  })
})

test('evaluateDetectors gives each detector what evaluateScores gives its scores, with the same seed', async () => {
  const inData = { shape: [4], v: [0.1, 0.2, 0.3, 0.4] }
  const outSets = { far: { shape: [3], v: [0.9, 0.35, 0.8] }, near: { shape: [2], v: [0.2, 0.25] } }
  const detectors = { id: (x: typeof inData) => x.v, negated: async (x: typeof inData) => x.v.map((s) => -s) }
  const table = await evaluateDetectors(detectors, inData, outSets, { seed: 3, bootstrap: 200 })
  expect(table.id!.far).toEqual(evaluateScores(inData.v, outSets.far.v, { seed: 3, bootstrap: 200 }))
  expect(table.negated!.near).toEqual(evaluateScores([-0.1, -0.2, -0.3, -0.4], [-0.2, -0.25], { seed: 3, bootstrap: 200 }))
  await expect(evaluateDetectors({ short: () => [1] }, inData, outSets)).rejects.toMatchObject({ code: 'INVALID_INPUT' })
  await expect(evaluateDetectors({}, inData, outSets)).rejects.toMatchObject({ code: 'INVALID_INPUT' })
  // Features say how many examples they hold; a NaN score names its detector
  const features = featuresFrom([[1], [2], [3]])
  await expect(evaluateDetectors({ short: () => [1, 2] }, features, { far: features })).rejects.toMatchObject({
    code: 'INVALID_INPUT',
    message: expect.stringContaining('"short" gave 2 scores for the 3 examples'),
  })
  await expect(evaluateDetectors({ broken: () => [1, Number.NaN, 3] }, features, { far: features })).rejects.toMatchObject({
    message: expect.stringContaining('"broken" scored example 1 of inData NaN'),
  })
  await expect(evaluateDetectors(detectors, inData, outSets, { sed: 1 } as never)).rejects.toMatchObject({ code: 'INVALID_OPTION' })
})
