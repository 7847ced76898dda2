import fc from 'fast-check'
import { expect, test } from 'vitest'
import { evaluateScores, logitScores } from '../../src/index.js'

/** Brute force: every (outlier, inlier) pair, ties half. */
const pairs = (a: number[], b: number[]): number => {
  let s = 0
  for (const o of b) for (const i of a) s += o > i ? 1 : o === i ? 0.5 : 0
  return s / (a.length * b.length)
}
/** Brute force: precision at each distinct outlier score, weighted by the recall it adds. */
const averagePrecision = (a: number[], b: number[]): number => {
  const thresholds = [...new Set([...a, ...b])].sort((x, y) => y - x)
  let ap = 0
  let recall = 0
  for (const t of thresholds) {
    const tp = b.filter((s) => s >= t).length
    const fp = a.filter((s) => s >= t).length
    const r = tp / b.length
    if (r > recall) ap += (r - recall) * (tp / (tp + fp))
    recall = r
  }
  return ap
}
/** Brute force: the 95th-percentile inlier score (the ceil(0.95 n)-th smallest), and the outliers at or below it. */
const fpr95 = (a: number[], b: number[]): number => {
  const t = [...a].sort((x, y) => x - y)[Math.ceil(0.95 * a.length) - 1]!
  return b.filter((s) => s <= t).length / b.length
}

const scores = fc.array(
  fc.integer({ min: -5, max: 5 }).map((v) => v / 2),
  { minLength: 1, maxLength: 40 },
)

test('AUROC, AUPR and FPR at 95% equal brute force, ties included', () => {
  fc.assert(
    fc.property(scores, scores, (a, b) => {
      const r = evaluateScores(a, b, { bootstrap: 0 })
      expect(r.auroc.value).toBeCloseTo(pairs(a, b), 12)
      expect(r.aupr.value).toBeCloseTo(averagePrecision(a, b), 12)
      expect(r.fprAt95.value).toBe(fpr95(a, b))
      expect(r.auroc.interval).toBeNull()
    }),
  )
  // perfectly apart, and the same scores on both sides
  expect(evaluateScores([0, 1, 2], [3, 4], { bootstrap: 0 })).toMatchObject({
    auroc: { value: 1 },
    aupr: { value: 1 },
    fprAt95: { value: 0 },
  })
  expect(evaluateScores([1, 1], [1, 1], { bootstrap: 0 }).auroc.value).toBe(0.5)
})

test('bootstrap intervals: the same seed gives the same bits, they hold the value, and shrink with more data', () => {
  const make = (n: number, shift: number, seed: number) => {
    let x = seed
    return Array.from({ length: n }, () => {
      x = (x * 1103515245 + 12345) % 2 ** 31
      return x / 2 ** 31 + shift
    })
  }
  const small = evaluateScores(make(50, 0, 1), make(50, 0.3, 2), { bootstrap: 400, seed: 7 })
  const again = evaluateScores(make(50, 0, 1), make(50, 0.3, 2), { bootstrap: 400, seed: 7 })
  expect(again).toEqual(small)
  for (const k of ['auroc', 'aupr', 'fprAt95'] as const) {
    const [lo, hi] = small[k].interval!
    expect(lo).toBeLessThanOrEqual(small[k].value)
    expect(hi).toBeGreaterThanOrEqual(small[k].value)
  }
  const large = evaluateScores(make(800, 0, 1), make(800, 0.3, 2), { bootstrap: 400, seed: 7 })
  const width = (r: typeof small) => r.auroc.interval![1] - r.auroc.interval![0]
  expect(width(large)).toBeLessThan(width(small))
  expect(() => evaluateScores([], [1])).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
  expect(() => evaluateScores([Number.NaN], [1])).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
  expect(() => evaluateScores([1], [1], { confidence: 1 })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
  expect(() => evaluateScores([1], [1], { resamples: 3 } as never)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
})

test('logit scores: minus the largest softmax probability, minus the largest logit, minus log-sum-exp', () => {
  const logits = [2, 0, -1, 1000, 999, 0]
  const p = (row: number[]) => {
    const m = Math.max(...row)
    const z = row.map((v) => Math.exp(v - m))
    const s = z.reduce((a, b) => a + b, 0)
    return { msp: Math.max(...z) / s, lse: m + Math.log(s) }
  }
  const rows = [logits.slice(0, 3), logits.slice(3)]
  const msp = logitScores(logits, 3, 'maxSoftmax')
  rows.forEach((r, i) => expect(msp[i]).toBeCloseTo(-p(r).msp, 12))
  expect(Array.from(logitScores(logits, 3, 'maxLogit'))).toEqual([-2, -1000])
  const energy = logitScores(logits, 3, 'energy')
  rows.forEach((r, i) => expect(energy[i]).toBeCloseTo(-p(r).lse, 10))
  expect(Number.isFinite(energy[1]!)).toBe(true)
  expect(() => logitScores([1, 2, 3], 2, 'energy')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
  expect(() => logitScores([1, 2], 2, 'entropy' as never)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
})
