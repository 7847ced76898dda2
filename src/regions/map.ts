/* regionMap(): the activation region of every pixel of a 2-D slice of input space. */
import type { LayersModel } from '@tensorflow/tfjs-layers'
import type { Tensor } from '@tensorflow/tfjs-core'
import { createTable, tableAdd, tableGet } from '../bits/pattern-table.js'
import { InstrumentError } from '../errors.js'
import { type GraphModelLike, modelAndProbe } from '../instrument/index.js'
import { type Declaration, type Check, bytes, check, declareOptions, later } from '../options.js'
import { type RegionTarget, SAMPLER_OPTIONS, type SamplerOptions, inputShape, openSampler, pointOf } from './sampler.js'
import { samplerOptions } from './along.js'

/** Options of {@link regionMap}. */
export interface RegionMapOptions extends SamplerOptions {
  /** The centre of the slice: one input. */
  origin: Tensor
  /** Two directions spanning the slice, each shaped like an input (they need not be orthogonal or unit length). */
  directions: readonly [Tensor, Tensor]
  /** Half-width of the slice in units of each direction: a number for both, or `[along u, along v]`. */
  extent: number | readonly [number, number]
  /** Pixels: a number for a square, or `[width, height]`. */
  resolution: number | readonly [number, number]
  /** Refuse maps whose patterns and ids could take more than this many bytes (default 512 MiB). */
  maxBytes?: number
}

/** The activation region of every pixel of a 2-D slice through input space. */
export interface RegionMap {
  readonly width: number
  readonly height: number
  /**
   * Region id of each pixel, row by row, `width * height`. Pixel (i, j) (column i, row j)
   * is the input `origin + s u + t v` with s from `-extent` at the left to `+extent` at
   * the right, and t from `+extent` in the top row to `-extent` in the bottom row, at
   * pixel centres. Ids count from 0 in order of first appearance.
   */
  readonly ids: Int32Array
  /** Distinct regions in the slice: the distinct whole-network patterns. */
  readonly regions: number
  /** Pixels of each region, by id. */
  readonly sizes: Int32Array
  /** Half-widths along u and v. */
  readonly extent: readonly [number, number]
}

const WHERE = 'regionMap(model, options)'

const pairOf = (integer: boolean): Check<number | readonly [number, number]> => {
  const ok = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v > 0 && (!integer || Number.isInteger(v))
  const rule = integer ? 'a positive integer' : 'a positive number'
  return check(`${rule} or two of them`, (v) => ok(v) || (Array.isArray(v) && v.length === 2 && v.every(ok)))
}

const OPTIONS = /* @__PURE__ */ declareOptions(
  WHERE,
  () =>
    ({
      ...SAMPLER_OPTIONS.fields,
      origin: { check: later('one input') },
      directions: { check: check('two tensors [u, v], each shaped like an input', (d) => Array.isArray(d) && d.length === 2) },
      extent: { check: pairOf(false) },
      resolution: { check: pairOf(true) },
      maxBytes: { check: bytes, default: 512 * 2 ** 20 },
    }) satisfies Declaration<RegionMapOptions>,
  { required: true },
)

/** A number for both, or two; `what` is required. */
function pair(value: number | readonly [number, number] | undefined, what: string): [number, number] {
  if (value === undefined) throw new InstrumentError('INVALID_OPTION', `${WHERE}: ${what} is required.`)
  return typeof value === 'number' ? [value, value] : [value[0], value[1]]
}

/**
 * The activation region of every pixel of the slice `origin + s u + t v` through input
 * space, each pixel's region named by its whole-network pattern: the picture of a
 * network's linear regions people make with GPU tooling, exact at the pixel centres.
 * Draw it with `regionMapSvg` or `regionMapSpec`.
 *
 * @example
 * ```ts
 * import { regionMap, regionMapSvg } from 'relu-patterns'
 *
 * const map = await regionMap(model, { origin: x0, directions: [u, v], extent: 2, resolution: 200 })
 * console.log(map.regions, 'regions in the slice')
 * writeFileSync('regions.svg', regionMapSvg(map))
 * ```
 */
export async function regionMap(target: RegionTarget, options: RegionMapOptions): Promise<RegionMap> {
  const { model, probe } = modelAndProbe<LayersModel | GraphModelLike>(target, WHERE)
  const o = OPTIONS.parse(options)
  const [width, height] = pair(o.resolution, 'resolution')
  const extent = pair(o.extent, 'extent')
  const maxBytes = o.maxBytes
  if (o.directions === undefined)
    throw new InstrumentError('INVALID_OPTION', `${WHERE}: directions is required: two tensors [u, v], each shaped like an input.`)
  const origin = pointOf(options.origin, 'origin', inputShape(model))
  const [u, v] = options.directions.map((d, k) => pointOf(d, `directions[${k}]`, origin.shape)) as [typeof origin, typeof origin]
  if (u.values.every((x) => x === 0) || v.values.every((x) => x === 0))
    throw new InstrumentError('INVALID_INPUT', `${WHERE}: a direction is all zeros, so the slice has no extent along it.`)
  const pixels = width * height
  const sampler = openSampler(model, probe, origin.shape, samplerOptions(options))
  try {
    const bytes = pixels * (4 + 4 * sampler.wordsPerRow + 12)
    if (bytes > maxBytes) {
      throw new InstrumentError(
        'INVALID_OPTION',
        `${WHERE}: ${width}x${height} pixels of ${sampler.units}-bit patterns could take ${(bytes / 2 ** 20).toFixed(0)} MiB, ` +
          `over maxBytes (${(maxBytes / 2 ** 20).toFixed(0)} MiB). Lower the resolution or raise maxBytes.`,
      )
    }
    const ids = new Int32Array(pixels)
    const table = createTable(sampler.wordsPerRow, 0)
    const sizes: number[] = []
    const dims = sampler.dims
    const rowsPerChunk = Math.max(1, Math.floor(2 ** 16 / width))
    for (let j0 = 0; j0 < height; j0 += rowsPerChunk) {
      const rows = Math.min(rowsPerChunk, height - j0)
      const points = new Float32Array(rows * width * dims)
      for (let j = 0; j < rows; j++) {
        const t = extent[1] * (1 - (2 * (j0 + j) + 1) / height)
        for (let i = 0; i < width; i++) {
          const s = extent[0] * ((2 * i + 1) / width - 1)
          const at = (j * width + i) * dims
          for (let d = 0; d < dims; d++) points[at + d] = origin.values[d]! + s * u.values[d]! + t * v.values[d]!
        }
      }
      const words = await sampler.sample(points, rows * width)
      for (let k = 0; k < rows * width; k++) {
        const offset = k * sampler.wordsPerRow
        let id = tableGet(table, words, offset) - 1
        if (id < 0) {
          id = sizes.length
          sizes.push(0)
          tableAdd(table, words, offset, id + 1, Number.POSITIVE_INFINITY)
        }
        sizes[id]!++
        ids[j0 * width + k] = id
      }
    }
    return { width, height, ids, regions: sizes.length, sizes: Int32Array.from(sizes), extent }
  } finally {
    sampler.dispose()
  }
}
