import type { Tensor } from '@tensorflow/tfjs-core'
import { slice, tidy } from '@tensorflow/tfjs-core'
import { InstrumentError } from '../errors.js'

/** Something with tensors to run through the model: tensors, or a dataset of batches. */
export type MeasureInput = Tensor | Tensor[] | DatasetLike

/**
 * A `tf.data.Dataset` (or anything with the same `iterator()`), each element one batch:
 * a tensor, an array of tensors, or `{ xs, ys }` as for `fitDataset`.
 */
export interface DatasetLike {
  iterator(): Promise<{ next(): Promise<IteratorResult<unknown>> }>
}

/** The model methods `measure` runs. */
export interface RunnableModel {
  predict(x: Tensor | Tensor[], config?: { batchSize?: number }): Tensor | Tensor[]
  apply(x: Tensor | Tensor[], kwargs?: Record<string, unknown>): unknown
}

function isTensor(x: unknown): x is Tensor {
  return (
    typeof x === 'object' &&
    x !== null &&
    Array.isArray((x as Tensor).shape) &&
    typeof (x as Tensor).dataSync === 'function'
  )
}

function isDataset(x: unknown): x is DatasetLike {
  return typeof x === 'object' && x !== null && typeof (x as DatasetLike).iterator === 'function'
}

function disposeAll(value: unknown): void {
  if (isTensor(value)) value.dispose()
  else if (Array.isArray(value)) for (const v of value) disposeAll(v)
  else if (typeof value === 'object' && value !== null) for (const v of Object.values(value)) disposeAll(v)
}

/** The model inputs of one dataset element. */
function inputsOf(element: unknown): Tensor | Tensor[] {
  if (isTensor(element)) return element
  if (Array.isArray(element) && element.every(isTensor)) return element
  if (typeof element === 'object' && element !== null && 'xs' in element) {
    const xs = (element as { xs: unknown }).xs
    if (isTensor(xs) || (Array.isArray(xs) && xs.every(isTensor))) return xs
    if (typeof xs === 'object' && xs !== null) {
      const values = Object.values(xs)
      if (values.every(isTensor)) return values as Tensor[]
    }
  }
  throw new InstrumentError(
    'INVALID_INPUT',
    'A dataset element is not a tensor, an array of tensors or { xs, ys }. ' +
      'Map the dataset to model inputs first (e.g. dataset.map(e => e.xs)).',
  )
}

function batchOf(x: Tensor | Tensor[]): number {
  const first = Array.isArray(x) ? x[0] : x
  return first?.shape[0] ?? 0
}

/** Called before each batch runs, with its input tensors and number of examples. */
export type BatchListener = (inputs: readonly Tensor[], examples: number) => void

/**
 * Runs one forward pass of `x` in order, in batches of at most `batchSize` examples (a
 * dataset's own batches are kept); outputs are disposed. `onBatch` is told about each
 * batch before it runs, so the caller can line up labels with the rows recorded.
 */
export async function runPass(
  model: RunnableModel,
  x: MeasureInput,
  batchSize: number,
  training: boolean,
  onBatch: BatchListener,
): Promise<void> {
  const forward = (input: Tensor | Tensor[]): void => {
    const list = Array.isArray(input) ? input : [input]
    onBatch(list, batchOf(input))
    if (training) tidy(() => void model.apply(input, { training: true }))
    else disposeAll(model.predict(input, { batchSize: Math.max(1, batchOf(input)) }))
  }
  const run = (input: Tensor | Tensor[]): void => {
    const n = batchOf(input)
    if (n <= batchSize) {
      forward(input)
      return
    }
    for (let start = 0; start < n; start += batchSize) {
      const size = Math.min(batchSize, n - start)
      const part = Array.isArray(input) ? input.map((t) => slice(t, start, size)) : slice(input, start, size)
      try {
        forward(part)
      } finally {
        disposeAll(part)
      }
    }
  }
  if (isTensor(x) || (Array.isArray(x) && x.length > 0 && x.every(isTensor))) {
    run(x)
    return
  }
  if (!isDataset(x)) {
    throw new InstrumentError(
      'INVALID_INPUT',
      'measure() takes a tensor, an array of tensors (one per model input) or a tf.data.Dataset ' +
        'of batches. Convert arrays with tf.tensor(...) first.',
    )
  }
  const iterator = await x.iterator()
  for (;;) {
    const { value, done } = await iterator.next()
    if (done === true) break
    try {
      forward(inputsOf(value))
    } finally {
      disposeAll(value)
    }
  }
}
