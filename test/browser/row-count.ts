// A custom reducer with a spec, for the web worker tests: rows seen.
import type { Reducer } from '../../src/index.js'

export const rowCount = (): Reducer<number, number> => ({
  name: 'rowCount',
  spec: { module: './row-count.js', factory: 'rowCount', options: {} },
  init: () => 0,
  update: (s, b) => s + b.rows,
  merge: (a, b) => a + b,
  result: (s) => s,
})

/** The same spec as a built-in's name: a worker must not take unitStats for it. */
export const lookalike = (): Reducer<number, number> => ({
  ...rowCount(),
  spec: { module: './row-count.js', factory: 'unitStats', options: {} },
})
