import fc from 'fast-check'
import type { PackedBatch } from '../../src/index.js'

/** Random boolean rows of a fixed width; few distinct rows when `narrow` so repeats occur. */
export const boolRows = (units: number, maxRows = 80): fc.Arbitrary<boolean[][]> =>
  fc.oneof(
    fc.array(fc.array(fc.boolean(), { minLength: units, maxLength: units }), { maxLength: maxRows }),
    fc
      .array(fc.array(fc.boolean(), { minLength: units, maxLength: units }), { minLength: 1, maxLength: 4 })
      .chain((pool) => fc.array(fc.constantFrom(...pool), { maxLength: maxRows })),
  )

/** Packs boolean rows by the documented bit layout, one bit at a time (the slow, obvious way). */
export function batchOf(rows: boolean[][], units: number, nonFinite = 0, labels: number[] | null = null): PackedBatch {
  const wordsPerRow = Math.ceil(units / 32)
  const words = new Uint32Array(rows.length * wordsPerRow)
  rows.forEach((row, r) => {
    row.forEach((on, u) => {
      if (on) words[r * wordsPerRow + (u >>> 5)]! |= 1 << (u & 31)
    })
  })
  // float values consistent with the bits, for reducers that need them: 0 when off, a varied positive value when on
  const values = Float32Array.from(rows.flatMap((row, r) => row.map((on, u) => (on ? 0.5 + ((r * 31 + u * 17) % 7) / 4 : 0))))
  return {
    words,
    rows: rows.length,
    units,
    wordsPerRow,
    nonFinite,
    positions: 1,
    labels: labels === null ? null : Int32Array.from(labels),
    values,
  }
}
