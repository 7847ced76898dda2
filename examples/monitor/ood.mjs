// Out-of-distribution scores and the usual measures, computed by hand (no dependency).

/**
 * AUROC of telling OOD (positives) from ID (negatives) by `score` (higher = more OOD):
 * the Mann-Whitney statistic, ties counted half.
 */
export function auroc(idScores, oodScores) {
  const all = [...idScores.map((s) => [s, 0]), ...oodScores.map((s) => [s, 1])].sort((a, b) => a[0] - b[0])
  let rankSumOod = 0
  for (let i = 0; i < all.length; ) {
    let j = i
    while (j < all.length && all[j][0] === all[i][0]) j++
    const avgRank = (i + 1 + j) / 2
    for (let k = i; k < j; k++) if (all[k][1] === 1) rankSumOod += avgRank
    i = j
  }
  const nO = oodScores.length
  const nI = idScores.length
  return (rankSumOod - (nO * (nO + 1)) / 2) / (nO * nI)
}

/**
 * FPR at 95% TPR, with in-distribution as the positive class (Hendrycks & Gimpel's
 * convention): the threshold accepts the 95% of ID examples with the lowest scores; the
 * result is the share of OOD examples it also accepts. Ties at the threshold are accepted.
 */
export function fprAt95(idScores, oodScores) {
  const sorted = [...idScores].sort((a, b) => a - b)
  const t = sorted[Math.min(sorted.length - 1, Math.ceil(0.95 * sorted.length) - 1)]
  return oodScores.filter((s) => s <= t).length / oodScores.length
}

/** ROC points (false-positive rate, true-positive rate) with OOD positive, for a picture. */
export function rocPoints(idScores, oodScores) {
  const all = [...idScores.map((s) => [s, 0]), ...oodScores.map((s) => [s, 1])].sort((a, b) => b[0] - a[0])
  const points = [{ fpr: 0, tpr: 0 }]
  let fp = 0
  let tp = 0
  for (let i = 0; i < all.length; ) {
    const t = all[i][0]
    for (; i < all.length && all[i][0] === t; i++) all[i][1] === 1 ? tp++ : fp++
    points.push({ fpr: fp / idScores.length, tpr: tp / oodScores.length })
  }
  // at most about 200 points, enough for a picture
  const step = Math.max(1, Math.floor(points.length / 200))
  return points.filter((_, i) => i % step === 0 || i === points.length - 1)
}

/** Corrupted copies of images (n x 784 in [0, 1]): uniform noise, a quarter turn, inversion. */
export function corrupt(pixels, n, kind, seed = 1) {
  const out = new Float32Array(n * 784)
  let x = seed >>> 0 || 1
  const next = () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), (x >>> 0) / 4294967296)
  for (let e = 0; e < n; e++) {
    for (let r = 0; r < 28; r++) {
      for (let c = 0; c < 28; c++) {
        const i = e * 784 + r * 28 + c
        if (kind === 'noise') out[i] = next()
        else if (kind === 'rotation') out[i] = pixels[e * 784 + (27 - c) * 28 + r]
        else out[i] = 1 - pixels[i]
      }
    }
  }
  return out
}
