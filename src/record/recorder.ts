/* How one layer's output is cut into patterns and which bit planes are packed from it. */
import type { Tensor } from '@tensorflow/tfjs-core'
import { packChannelsFirst, packRows, wordsFor } from '../bits/pack.js'
import { InstrumentError } from '../errors.js'
import type { PackedBatch } from '../reducer.js'
import { readValues } from './read.js'

/** How a site's activations are cut into patterns. */
export type Granularity = 'position' | 'example'

/** Where the channel (unit) axis of an activation tensor is. */
export type DataFormat = 'channelsLast' | 'channelsFirst'

/** How one layer's output is cut into patterns, and which bit planes are packed from it. */
export interface RecorderSpec {
  /** Site id, for error messages. */
  readonly id: string
  readonly units: number
  readonly granularity: Granularity
  readonly dataFormat: DataFormat
  /** One threshold per bit plane: a bit is set where the value is `> threshold`. */
  readonly thresholds: readonly number[]
  /**
   * Per bit plane, the cap of a saturation plane (bit set where the value is `>= cap`) or
   * null for the sign plane. Device packing compares with the cap itself, which stays exact
   * in float16 textures where the float32 threshold below the cap would round up to it.
   */
  readonly caps: readonly (number | null)[]
  /** Also hand reducers the float values (a reducer declared `needs: 'values'`); such reads are synchronous. */
  readonly values?: boolean
}

/**
 * Turns one layer's output tensors into packed batches, one per bit plane. The tensor is
 * read once, synchronously (see `readValues`): on the cpu and wasm backends this is a
 * plain read, and no tensor is created, so nothing can leak and no op is added to a
 * gradient tape. Word and label buffers are reused, so recording allocates nothing once warm.
 */
export class Recorder {
  private readonly buffers: Uint32Array[]
  private labelBuffer = new Int32Array(0)
  private valueBuffer = new Float32Array(0)
  private readonly wordsPerRow: number

  constructor(readonly spec: RecorderSpec) {
    this.wordsPerRow = wordsFor(spec.units)
    this.buffers = spec.thresholds.map(() => new Uint32Array(0))
  }

  /**
   * Packs `output` (shape `[batch, ...]`). `exampleLabels`, when given, holds one label
   * per example of the batch. The batches' arrays stay valid until the next call.
   */
  pack(output: Tensor, exampleLabels: Int32Array | null): PackedBatch[] {
    const { spec, wordsPerRow } = this
    const examples = output.shape[0] ?? 1
    const size = output.size
    const units = spec.units
    if (size % (examples * units) !== 0 || (examples === 0 && size !== 0)) {
      throw new InstrumentError(
        'LAYOUT_MISMATCH',
        `Site "${spec.id}" expected ${units} units per pattern but produced shape ` +
          `[${output.shape.join(', ')}]. A layer called on inputs of different shapes cannot keep ` +
          "one pattern layout; use granularity 'position' or instrument the sites separately.",
        { site: spec.id },
      )
    }
    const rows = size / units
    const positions = examples === 0 ? 1 : rows / examples
    const need = rows * wordsPerRow
    const values = rows === 0 ? new Float32Array(0) : readValues(output)
    const labels = exampleLabels === null ? null : this.rowLabels(exampleLabels, examples, positions)
    const strided = spec.granularity === 'position' && spec.dataFormat === 'channelsFirst'
    const rowValues =
      spec.values !== true
        ? null
        : strided
          ? this.transposed(values, examples, units, positions)
          : values instanceof Float32Array
            ? values
            : Float32Array.from(values)
    return spec.thresholds.map((threshold, plane) => {
      let buffer = this.buffers[plane]!
      if (buffer.length < need) {
        buffer = new Uint32Array(Math.max(need, buffer.length * 2))
        this.buffers[plane] = buffer
      }
      const words = buffer.subarray(0, need)
      const nonFinite = strided
        ? packChannelsFirst(values, examples, units, positions, words, threshold)
        : packRows(values, rows, units, words, threshold)
      return { words, rows, units, wordsPerRow, nonFinite, positions, labels, ...(rowValues === null ? {} : { values: rowValues }) }
    })
  }

  /** Channels-first values in row order (position by position, channels within), into a reused buffer. */
  private transposed(values: ArrayLike<number>, examples: number, channels: number, positions: number): Float32Array {
    const n = values.length
    if (this.valueBuffer.length < n) this.valueBuffer = new Float32Array(n)
    const out = this.valueBuffer.subarray(0, n)
    let i = 0
    for (let e = 0; e < examples; e++) {
      const base = e * positions * channels
      for (let c = 0; c < channels; c++) for (let p = 0; p < positions; p++) out[base + p * channels + c] = values[i++]!
    }
    return out
  }

  private rowLabels(exampleLabels: Int32Array, examples: number, positions: number): Int32Array {
    const rows = examples * positions
    if (positions !== 1 && this.labelBuffer.length < rows) this.labelBuffer = new Int32Array(rows)
    return expandLabels(this.spec.id, exampleLabels, examples, positions, this.labelBuffer.subarray(0, rows))
  }
}

/**
 * One label per row from one label per example (each example's label repeated for its
 * positions), written into `out` (returned as is when positions is 1).
 */
export function expandLabels(
  site: string,
  exampleLabels: Int32Array,
  examples: number,
  positions: number,
  out: Int32Array = new Int32Array(examples * positions),
): Int32Array {
  if (exampleLabels.length !== examples) {
    throw new InstrumentError(
      'INVALID_INPUT',
      `Site "${site}" ran on ${examples} examples but ${exampleLabels.length} labels were ` +
        'left for them. Give exactly one label per example, in input order.',
      { site },
    )
  }
  if (positions === 1) return exampleLabels
  for (let e = 0; e < examples; e++) out.fill(exampleLabels[e]!, e * positions, (e + 1) * positions)
  return out
}
