/* Packing on GPU backends: words built on the device during the pass, read after it. */
import type { Tensor } from '@tensorflow/tfjs-core'
import {
  cast,
  env,
  greater,
  greaterEqual,
  isFinite as finite,
  keep,
  logicalNot,
  mul,
  pad,
  reshape,
  sum,
  tensor1d,
  tidy,
  transpose,
} from '@tensorflow/tfjs-core'
import { wordsFor } from '../bits/pack.js'
import { InstrumentError } from '../errors.js'
import type { PackedBatch } from '../reducer.js'
import type { RecorderSpec } from './recorder.js'

/**
 * Bits per device word. GPU backends keep numbers in float textures, where integer sums
 * are exact only below 2^24 (float32) or 2^11 (float16): 16 bits per word is exact on
 * float32 textures, 8 on float16. Two (or four) device words make one 32-bit word of the
 * documented layout.
 */
export function deviceBitsPerWord(): 8 | 16 {
  const e = env()
  const flag = (name: string): boolean | undefined => {
    try {
      return e.getBool(name)
    } catch {
      return undefined
    }
  }
  // Only the webgl backend registers these flags; elsewhere numbers are float32 or int32.
  if (flag('WEBGL_RENDER_FLOAT32_ENABLED') === false) return 8
  return 16
}

/** Tensors packed on the device during a forward pass, read after it. */
export interface LaunchedRead {
  /** Per bit plane, `[rows, devicesWords]` int32 words of `bitsPerWord` bits. */
  readonly planes: Tensor[]
  /** Scalar int32: non-finite values in the output. */
  readonly nonFinite: Tensor
  readonly rows: number
  readonly positions: number
  readonly bitsPerWord: 8 | 16
}

/** The weights 1, 2, 4, ... of the bits of a device word, as a kept tensor (the caller disposes it). */
export function bitWeights(bitsPerWord: 8 | 16): Tensor {
  return keep(
    tensor1d(
      Array.from({ length: bitsPerWord }, (_, j) => 2 ** j),
      'float32',
    ),
  )
}

/**
 * Packs a site's output into words on the device, without reading anything back: the
 * forward pass never waits for the GPU. `powers` comes from {@link bitWeights}. Returns
 * kept tensors; `complete` reads and frees them.
 */
export function launch(spec: RecorderSpec, output: Tensor, powers: Tensor): LaunchedRead {
  const bitsPerWord = powers.size as 8 | 16
  const examples = output.shape[0] ?? 1
  const units = spec.units
  if (output.size % (examples * units) !== 0) {
    throw new InstrumentError(
      'LAYOUT_MISMATCH',
      `Site "${spec.id}" expected ${units} units per pattern but produced shape [${output.shape.join(', ')}].`,
      { site: spec.id },
    )
  }
  const rows = output.size / units
  const wordsPerRow = wordsFor(units)
  const deviceWords = (wordsPerRow * 32) / bitsPerWord
  return tidy(() => {
    let x = output
    if (spec.granularity === 'position' && spec.dataFormat === 'channelsFirst' && output.rank > 2) {
      const perm = [0, ...Array.from({ length: output.rank - 2 }, (_, i) => i + 2), 1]
      x = transpose(output, perm)
    }
    const flat = reshape(x, [rows, units])
    const planes = spec.caps.map((cap) => {
      const bits = cast(cap === null ? greater(flat, 0) : greaterEqual(flat, cap), 'float32')
      const padded =
        deviceWords * bitsPerWord === units
          ? bits
          : pad(bits, [
              [0, 0],
              [0, deviceWords * bitsPerWord - units],
            ])
      const words = sum(mul(reshape(padded, [rows, deviceWords, bitsPerWord]), powers), -1)
      return keep(cast(words, 'int32'))
    })
    const nonFinite = keep(cast(sum(cast(logicalNot(finite(flat)), 'float32')), 'int32'))
    return { planes, nonFinite, rows, positions: examples === 0 ? 1 : rows / examples, bitsPerWord }
  })
}

/** Reads launched words (asynchronously) and converts them to packed batches; frees the tensors. */
export async function complete(read: LaunchedRead, units: number, labels: Int32Array | null): Promise<PackedBatch[]> {
  const wordsPerRow = wordsFor(units)
  const per = 32 / read.bitsPerWord
  try {
    const [nonFinite, ...planes] = await Promise.all([read.nonFinite.data(), ...read.planes.map((p) => p.data())])
    return planes.map((d) => {
      const words = new Uint32Array(read.rows * wordsPerRow)
      for (let i = 0; i < words.length; i++) {
        let w = 0
        for (let k = 0; k < per; k++) w |= d[i * per + k]! << (k * read.bitsPerWord)
        words[i] = w
      }
      return { words, rows: read.rows, units, wordsPerRow, nonFinite: nonFinite[0]!, positions: read.positions, labels }
    })
  } finally {
    for (const p of read.planes) p.dispose()
    read.nonFinite.dispose()
  }
}
