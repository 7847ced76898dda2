/* Running the model on what measure() is given: tensors or datasets, in batches, with coded errors. */
import type { Tensor } from '@tensorflow/tfjs-core'
import { clone, slice, tidy } from '@tensorflow/tfjs-core'
import { InstrumentError } from '../../errors.js'

/** Something with tensors to run through the model: tensors, or a dataset of batches. */
export type MeasureInput = Tensor | Tensor[] | DatasetLike

/**
 * A `tf.data.Dataset` (or anything with the same `iterator()`), each element one batch:
 * a tensor, an array of tensors, or `{ xs, ys }` as for `fitDataset`.
 */
export interface DatasetLike {
  iterator(): Promise<{ next(): Promise<IteratorResult<unknown>> }>
}

/** A weight a forward pass may write (batch normalisation's moving statistics). */
interface WritableWeight {
  read(): Tensor
  write(value: Tensor): unknown
  /** The tfjs-core variable behind a tfjs-layers `LayerVariable`. */
  readonly val?: { assign(value: Tensor): void }
}

/** The model parts `measure` uses. */
export interface RunnableModel {
  predict(x: Tensor | Tensor[], config?: { batchSize?: number }): Tensor | Tensor[]
  apply(x: Tensor | Tensor[], kwargs?: Record<string, unknown>): unknown
  readonly inputs?: readonly { readonly shape: readonly (number | null)[]; readonly name?: string }[]
  readonly inputNames?: readonly string[]
  readonly nonTrainableWeights?: readonly WritableWeight[]
  /** Graph models with control flow run only this way. */
  executeAsync?(x: Tensor | Tensor[]): Promise<Tensor | Tensor[]>
}

export function isTensor(x: unknown): x is Tensor {
  return typeof x === 'object' && x !== null && Array.isArray((x as Tensor).shape) && typeof (x as Tensor).dataSync === 'function'
}

function isDataset(x: unknown): x is DatasetLike {
  return typeof x === 'object' && x !== null && typeof (x as DatasetLike).iterator === 'function'
}

function disposeAll(value: unknown): void {
  if (isTensor(value)) value.dispose()
  else if (Array.isArray(value)) for (const v of value) disposeAll(v)
  else if (typeof value === 'object' && value !== null) for (const v of Object.values(value)) disposeAll(v)
}

const invalid = (message: string, cause?: unknown): InstrumentError =>
  new InstrumentError('INVALID_INPUT', message, cause === undefined ? {} : { cause })

/** The model inputs of one dataset element; `{ xs: { name: tensor } }` is ordered by the model's input names. */
function inputsOf(element: unknown, names: readonly string[] | undefined): Tensor | Tensor[] {
  if (isTensor(element)) return element
  if (Array.isArray(element) && element.length > 0 && element.every(isTensor)) return element
  if (typeof element === 'object' && element !== null && 'xs' in element) {
    const xs = (element as { xs: unknown }).xs
    if (isTensor(xs) || (Array.isArray(xs) && xs.length > 0 && xs.every(isTensor))) return xs
    if (typeof xs === 'object' && xs !== null) return byName(xs as Record<string, unknown>, names)
  }
  throw invalid(
    'A dataset element is not a tensor, an array of tensors or { xs, ys }. ' +
      'Map the dataset to model inputs first (e.g. dataset.map(e => e.xs)).',
  )
}

function byName(xs: Record<string, unknown>, names: readonly string[] | undefined): Tensor[] {
  const keys = Object.keys(xs)
  const missing = (names ?? []).filter((n) => !Object.hasOwn(xs, n))
  if (names === undefined || missing.length > 0 || keys.length !== names.length || !keys.every((k) => isTensor(xs[k]))) {
    throw invalid(
      `A dataset element's xs has keys ${keys.join(', ') || '(none)'}; the model's inputs are named ` +
        `${(names ?? []).join(', ') || '(unknown)'}. Give one tensor per input name, or an array in input order.`,
    )
  }
  return names.map((n) => xs[n] as Tensor)
}

function examplesOf(x: Tensor | Tensor[]): number {
  const first = Array.isArray(x) ? x[0] : x
  return first?.shape[0] ?? 0
}

/**
 * Throws `INVALID_INPUT` unless `input` can run through `model`: one live tensor per
 * model input, each of the input's rank and known sizes, all with the same number of
 * examples. Catches what tfjs would otherwise report deep inside the forward pass.
 */
export function checkInput(model: RunnableModel, input: Tensor | Tensor[]): void {
  const list = Array.isArray(input) ? input : [input]
  if (list[0] !== undefined && list[0].rank === 0) throw invalid('measure() got a scalar; inputs need a first axis of examples.')
  const specs = model.inputs ?? []
  if (specs.length > 0 && list.length !== specs.length) {
    throw invalid(
      `The model has ${specs.length} input${specs.length === 1 ? '' : 's'} but measure() got ${list.length} tensor${list.length === 1 ? '' : 's'}. Pass one tensor per model input, in order.`,
    )
  }
  list.forEach((t, i) => {
    if (t.isDisposed) throw invalid(`Input tensor ${i} has been disposed. Keep the probe set alive while measuring it.`)
    if (t.shape[0] !== list[0]!.shape[0]) {
      throw invalid(
        `Input tensors have different numbers of examples (${list[0]!.shape[0]} and ${t.shape[0]}); give each model input the same examples.`,
      )
    }
    const want = specs[i]?.shape
    if (want === undefined) return
    const fits = want.length === t.shape.length && want.every((d, k) => k === 0 || d === null || d === -1 || d === t.shape[k])
    if (!fits) {
      const show = want.map((d) => (d === null || d === -1 ? 'any' : String(d))).join(', ')
      throw invalid(`Input ${i} has shape [${t.shape.join(', ')}]; the model expects [${show}] (the first axis is the examples).`)
    }
  })
}

/**
 * Runs the model forward on one batch, outputs disposed. In training mode (dropout
 * active, batch statistics in batch normalisation) the model's non-trainable weights are
 * copied first and written back after, so the moving statistics batch normalisation
 * updates in training mode are exactly as they were: a measurement changes no weight.
 */
export function forward(model: RunnableModel, input: Tensor | Tensor[], training: boolean, seeOutput?: (output: unknown) => void): void {
  if (!training) {
    const output = model.predict(input, { batchSize: Math.max(1, examplesOf(input)) })
    try {
      seeOutput?.(output)
    } finally {
      disposeAll(output)
    }
    return
  }
  const saved = (model.nonTrainableWeights ?? []).map((w) => [w, clone(w.read())] as const)
  try {
    tidy(() => {
      const output = model.apply(input, { training: true })
      seeOutput?.(output)
    })
  } finally {
    for (const [w, copy] of saved) {
      // assign to the variable itself: LayerVariable.write would apply the weight's
      // constraint (which tfjs never applies in training) and allocate outside any tidy
      if (w.val !== undefined) w.val.assign(copy)
      else w.write(copy)
      copy.dispose()
    }
  }
}

/** Runs a graph model that needs `executeAsync` forward on one batch; outputs disposed. */
export async function forwardAsync(model: RunnableModel, input: Tensor | Tensor[], seeOutput?: (output: unknown) => void): Promise<void> {
  const output = await model.executeAsync!(input)
  try {
    seeOutput?.(output)
  } finally {
    disposeAll(output)
  }
}

/**
 * Calls `each` on every batch of `x`, in order: a tensor or array of tensors cut into
 * batches of at most `batchSize` examples (the slices are disposed after), or a dataset's
 * own batches (disposed after use, as `fitDataset` does). Every batch is checked
 * (`checkInput`) before it runs; input with no examples calls `each` never. Rejects as
 * soon as `stopped` rejects, even while a dataset is waiting.
 */
export async function forEachBatch(
  x: MeasureInput,
  batchSize: number,
  model: RunnableModel,
  each: (input: Tensor | Tensor[], examples: number) => void | Promise<void>,
  stopped: Promise<never>,
): Promise<void> {
  const run = async (input: Tensor | Tensor[]): Promise<void> => {
    checkInput(model, input)
    const n = examplesOf(input)
    if (n === 0) return
    if (n <= batchSize) {
      await each(input, n)
      return
    }
    for (let start = 0; start < n; start += batchSize) {
      const size = Math.min(batchSize, n - start)
      const part = Array.isArray(input) ? input.map((t) => slice(t, start, size)) : slice(input, start, size)
      try {
        await each(part, size)
      } finally {
        disposeAll(part)
      }
    }
  }
  if (isTensor(x) || (Array.isArray(x) && x.length > 0 && x.every(isTensor))) {
    await run(x)
    return
  }
  if (!isDataset(x)) {
    throw invalid(
      `measure() takes a tensor, an array of tensors (one per model input) or a tf.data.Dataset of batches, not ${describe(x)}. ` +
        'Convert arrays with tf.tensor(...) first.',
    )
  }
  const iterator = await fromDataset(() => x.iterator(), stopped)
  if (typeof iterator?.next !== 'function') throw invalid("The dataset's iterator() gave no iterator.")
  for (;;) {
    const { value, done } = await fromDataset(() => iterator.next(), stopped)
    if (done === true) break
    try {
      await run(inputsOf(value, model.inputNames))
    } finally {
      disposeAll(value)
    }
  }
}

/** Awaits the dataset, unless `stopped` rejects first; a dataset's own failure is INVALID_INPUT with it as the cause. */
async function fromDataset<T>(step: () => Promise<T>, stopped: Promise<never>): Promise<T> {
  let pending: Promise<T>
  try {
    pending = Promise.resolve(step())
  } catch (error) {
    throw invalid(`The dataset failed: ${String(error)}`, error)
  }
  const wrapped = pending.catch((error: unknown) => {
    throw invalid(`The dataset failed: ${String(error)}`, error)
  })
  return Promise.race([wrapped, stopped])
}

function describe(x: unknown): string {
  if (Array.isArray(x)) return x.length === 0 ? 'an empty array' : 'an array of non-tensors'
  return x === null ? 'null' : typeof x
}
