/**
 * Adds to `on[u]`, for every unit `u`, the number of rows whose bit `u` is set. Uses
 * bit-sliced (vertical) counters: plane k holds bit k of 32 per-unit counters, so each
 * row costs a few word operations per word instead of one per unit. Planes are flushed
 * to `on` before they could overflow.
 */
export function addColumnCounts(
  on: Float64Array,
  words: Uint32Array,
  rows: number,
  wordsPerRow: number,
  units: number,
): void {
  if (rows === 0) return
  let depth = 1
  while ((1 << depth) - 1 < rows && depth < 16) depth++
  const chunk = (1 << depth) - 1
  const planes = new Uint32Array(depth * wordsPerRow)
  for (let start = 0; start < rows; start += chunk) {
    const end = Math.min(rows, start + chunk)
    for (let r = start; r < end; r++) {
      const base = r * wordsPerRow
      for (let w = 0; w < wordsPerRow; w++) {
        let carry = words[base + w]!
        for (let k = 0; carry !== 0; k++) {
          const p = k * wordsPerRow + w
          const plane = planes[p]!
          planes[p] = plane ^ carry
          carry &= plane
        }
      }
    }
    for (let w = 0; w < wordsPerRow; w++) {
      const last = Math.min(32, units - 32 * w)
      for (let k = 0; k < depth; k++) {
        let plane = planes[k * wordsPerRow + w]!
        const weight = 1 << k
        while (plane !== 0) {
          const j = 31 - Math.clz32(plane & -plane)
          if (j < last) on[32 * w + j] = on[32 * w + j]! + weight
          plane &= plane - 1
        }
      }
    }
    planes.fill(0)
  }
}

