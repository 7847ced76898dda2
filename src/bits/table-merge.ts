/* Merging two pattern tables into a new one under a byte cap, placing patterns by their stored hashes. */
import {
  type OnRefused,
  type PatternTable,
  addHashed,
  cloneTable,
  createTable,
  tableAdd,
  tableBytes,
  tableForEach,
} from './pattern-table.js'

/**
 * A new table holding the counts of both tables (neither is changed), and how many
 * occurrences did not fit under `maxBytes` (each refused pattern also goes to `onRefused`).
 * The tables' stored hashes are trusted: check tables from outside first (`checkTable`
 * or its structural part, which verifies every stored hash).
 */
export function mergeTables(
  a: PatternTable,
  b: PatternTable,
  maxBytes: number,
  onRefused?: OnRefused,
): { table: PatternTable; untracked: number } {
  const [big, small] = a.size >= b.size ? [a, b] : [b, a]
  let untracked = 0
  let table: PatternTable
  if (tableBytes(big) <= maxBytes) {
    table = cloneTable(big)
  } else {
    // the bigger table alone is over the budget (it was made with a larger cap): refill
    table = createTable(big.wordsPerRow, 0)
    tableForEach(big, (slot, count) => {
      if (!tableAdd(table, big.keys, slot * big.wordsPerRow, count, maxBytes)) {
        untracked += count
        onRefused?.(big.keys, slot * big.wordsPerRow, count)
      }
    })
  }
  // the smaller table's patterns in slot order, placed by their stored hashes
  const wpr = small.wordsPerRow
  const { counts, hashes, keys } = small
  for (let slot = 0; slot < small.capacity; slot++) {
    const count = counts[slot]!
    if (count === 0 || addHashed(table, keys, slot * wpr, count, maxBytes, hashes[slot]!)) continue
    untracked += count
    onRefused?.(keys, slot * wpr, count)
  }
  return { table, untracked }
}
