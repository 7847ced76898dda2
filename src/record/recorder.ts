import type { Tensor } from '@tensorflow/tfjs-core'
import { packChannelsFirst, packRows } from '../bits/pack.js'
import { InstrumentError } from '../errors.js'
import type { Site } from '../instrument/sites.js'
import type { PackedBatch } from '../reducer.js'

/**
 * Turns one site's output tensors into packed batches. Keeps one word buffer per site,
 * grown on demand and reused, so recording allocates nothing per batch once warm.
 *
 * The tensor is read once, synchronously (`dataSync`): on the cpu and wasm backends this
 * is a plain read, and no tensor is created, so nothing can leak and no op is added to a
 * gradient tape.
 */
export class Recorder {
  private buffer = new Uint32Array(0)
  private readonly wordsPerRow: number

  constructor(readonly site: Site) {
    this.wordsPerRow = Math.ceil(site.units / 32)
  }

  /** Packs `output` (shape `[batch, ...]`) into a batch whose words stay valid until the next call. */
  pack(output: Tensor): PackedBatch {
    const { site, wordsPerRow } = this
    const shape = output.shape
    const examples = shape[0] ?? 1
    const size = output.size
    const units = site.units
    if (examples === 0 || size === 0) {
      return { words: this.buffer.subarray(0, 0), rows: 0, units, wordsPerRow, nonFinite: 0 }
    }
    if (size % (examples * units) !== 0) {
      throw new InstrumentError(
        'LAYOUT_MISMATCH',
        `Site "${site.id}" expected ${units} units per pattern but produced shape [${shape.join(', ')}]. ` +
          'A layer called on inputs of different shapes cannot keep one pattern layout; ' +
          "use granularity 'position' or instrument the sites separately.",
        { site: site.id },
      )
    }
    const rows = size / units
    const need = rows * wordsPerRow
    if (this.buffer.length < need) this.buffer = new Uint32Array(Math.max(need, this.buffer.length * 2))
    const words = this.buffer.subarray(0, need)
    const values = output.dataSync() as Float32Array
    const nonFinite =
      site.granularity === 'position' && site.dataFormat === 'channelsFirst'
        ? packChannelsFirst(values, examples, units, rows / examples, words)
        : packRows(values, rows, units, words)
    return { words, rows, units, wordsPerRow, nonFinite }
  }

  /** Bytes retained between batches. */
  get bytes(): number {
    return this.buffer.byteLength
  }
}
