import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-cpu'
import * as tfl from '@tensorflow/tfjs-layers'
import type { Reducer } from '../../src/index.js'

export { tf, tfl }

/** Switches to the cpu backend (quietly) before tests touch tensors. */
export async function useCpu(): Promise<void> {
  await tf.setBackend('cpu')
  await tf.ready()
}

/** A test reducer that keeps a copy of every packed row it sees, in order. */
export interface Collected {
  units: number
  wordsPerRow: number
  rows: number
  words: number[]
}
export const collect = (): Reducer<Collected, Collected> => ({
  name: 'collect',
  init: (l) => ({ units: l.units, wordsPerRow: l.wordsPerRow, rows: 0, words: [] }),
  update: (s, b) => {
    for (let i = 0; i < b.rows * b.wordsPerRow; i++) s.words.push(b.words[i]!)
    s.rows += b.rows
    return s
  },
  merge: (a, b) => ({ ...a, rows: a.rows + b.rows, words: [...a.words, ...b.words] }),
  result: (s) => s,
})

/** Brute force: bits (`> 0`) of float rows, as arrays of booleans, `units` per row. */
export function signRows(values: ArrayLike<number>, units: number): boolean[][] {
  const rows: boolean[][] = []
  for (let i = 0; i < values.length; i += units) {
    const row: boolean[] = []
    for (let j = 0; j < units; j++) row.push(values[i + j]! > 0)
    rows.push(row)
  }
  return rows
}

/** Unpacks collected words into arrays of booleans. */
export function unpackRows(c: Collected): boolean[][] {
  const rows: boolean[][] = []
  for (let r = 0; r < c.rows; r++) {
    const row: boolean[] = []
    for (let u = 0; u < c.units; u++) {
      row.push(((c.words[r * c.wordsPerRow + (u >>> 5)]! >>> (u & 31)) & 1) === 1)
    }
    rows.push(row)
  }
  return rows
}

/** True when every padding bit above `units` is zero. */
export function paddingIsZero(c: Collected): boolean {
  const tail = c.units & 31
  if (tail === 0) return true
  for (let r = 0; r < c.rows; r++) {
    if (c.words[r * c.wordsPerRow + c.wordsPerRow - 1]! >>> tail !== 0) return false
  }
  return true
}
