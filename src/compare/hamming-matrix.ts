/* The pairwise Hamming distances of a set of packed patterns. */
import { hammingDistance } from '../bits/popcount.js'
import { InstrumentError } from '../errors.js'
import { type Declaration, check, declareOptions, either, integer } from '../options.js'

const OPTIONS = /* @__PURE__ */ declareOptions(
  'hammingMatrix(patterns, options)',
  () =>
    ({
      maxRows: {
        check: either(
          integer(1),
          check<number>('Infinity', (v) => v === Infinity),
        ),
        default: 4096,
      },
    }) satisfies Declaration<{ maxRows?: number }>,
)

/** Packed rows, as in a `PackedBatch` or a measurement's `RetainedPatterns`. */
export interface PackedRows {
  readonly words: Uint32Array
  readonly rows: number
  readonly units: number
  readonly wordsPerRow: number
}

/** The pairwise distances of a set of patterns. */
export interface HammingMatrix {
  /** Number of patterns (the matrix is `rows` x `rows`). */
  rows: number
  /** Units per pattern. */
  units: number
  /** `distances[i * rows + j]`: Hamming distance in bits between rows i and j (symmetric, zero diagonal). */
  distances: Uint32Array
}

/**
 * The full pairwise Hamming distance matrix of a small set of patterns, e.g. the retained
 * patterns of one site over a probe batch. `units - distances` is the kernel Mellor et
 * al. (2021) score untrained networks with. Refuses more than `maxRows` rows (default
 * 4096, a 64 MiB matrix).
 *
 * @example
 * ```ts
 * const m = await probe.measurePatterns(batch)
 * const { distances, rows } = hammingMatrix(m.patterns[id]!)
 * ```
 */
export function hammingMatrix(patterns: PackedRows, options: { maxRows?: number } = {}): HammingMatrix {
  const { maxRows } = OPTIONS.parse(options)
  const { words, rows, units, wordsPerRow } = patterns
  if (rows > maxRows) {
    throw new InstrumentError(
      'INVALID_INPUT',
      `hammingMatrix() got ${rows} rows; the matrix would have ${rows * rows} entries. Pass fewer rows ` +
        `(a smaller batch or one position) or raise maxRows (now ${maxRows}).`,
    )
  }
  const distances = new Uint32Array(rows * rows)
  for (let i = 1; i < rows; i++) {
    for (let j = 0; j < i; j++) {
      const d = hammingDistance(words, i, words, j, wordsPerRow)
      distances[i * rows + j] = d
      distances[j * rows + i] = d
    }
  }
  return { rows, units, distances }
}
