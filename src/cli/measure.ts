/* Measuring a model on the inputs read from disk: fixed batches, the model's own batch size and dtype, progress site by site. */
import * as tf from '@tensorflow/tfjs-core'
import type { Measurement } from '../compare/measurement.js'
import type { AnyReducer, Reducer } from '../reducer.js'
import { hamming } from '../reducers/hamming.js'
import { patternHistogram } from '../reducers/pattern-histogram.js'
import { unitStats } from '../reducers/unit-stats.js'
import { instrument, type Site } from '../instrument/index.js'
import type { Inputs } from './inputs.js'
import { UsageError } from './usage.js'

type Options = NonNullable<Parameters<typeof instrument>[1]>
export type Measured = { measurement: Measurement<Record<string, Record<string, unknown>>>; sites: Site[] }

/** What a report reads at each site: unit statistics, the exact pattern histogram, Hamming distances within a pass. */
export function reportReducers(): Record<string, AnyReducer> {
  return { units: unitStats(), patterns: patternHistogram(), hamming: hamming() }
}

/** The model's one input: its shape after the batch, its fixed batch size (null when free) and dtype. */
export function inputOf(model: object): { shape: (number | null)[]; batch: number | null; dtype: string } {
  const inputs = (model as { inputs?: readonly { shape?: readonly (number | null)[]; dtype?: string }[] }).inputs
  if (inputs === undefined || inputs.length !== 1)
    throw new UsageError(`the model takes ${inputs?.length ?? 'an unknown number of'} inputs; report measures models with one input.`)
  const shape = inputs[0]!.shape
  if (shape === undefined) throw new UsageError('the model does not say the shape of its input.')
  const free = (d: number | null | undefined): boolean => d === null || d === undefined || d === -1
  return {
    shape: shape.slice(1).map((d) => (free(d) ? null : d)),
    batch: free(shape[0]) ? null : shape[0]!,
    dtype: inputs[0]!.dtype ?? 'float32',
  }
}

/**
 * A reducer that keeps nothing and calls `seen(rows)` each time a site's batch is folded:
 * during a pass on cpu and wasm, once per site, so that progress moves inside a long pass.
 */
function progressReducer(seen: () => void): Reducer<null, null> {
  return {
    name: 'progress',
    init: () => null,
    update: (s) => {
      seen()
      return s
    },
    merge: () => null,
    result: () => null,
  }
}

/**
 * Measures `model` on `inputs` (retained, labelled where there are labels) in passes of
 * `batchSize` inputs (the batches are part of the Hamming reading, so they never depend on
 * timing); `tick(done, sitesSeen)` as each site of a pass is folded and as passes end. A
 * model whose batch size is fixed gets passes of that size (inputs past the last whole
 * batch are left out, and said); integer inputs are fed as int32.
 */
export async function measureModel(
  model: Parameters<typeof instrument>[0],
  inputs: Inputs,
  labels: Int32Array | null,
  batchSize: number,
  options: Options,
  tick: (inputs: number, site: number, sites: number) => void,
): Promise<Measured & { used: number }> {
  const { batch, dtype } = inputOf(model)
  const used = batch === null ? inputs.count : inputs.count - (inputs.count % batch)
  if (used === 0)
    throw new UsageError(`the model takes batches of exactly ${batch} inputs, and --data gives ${inputs.count}; give at least ${batch}.`)
  const size = batch ?? batchSize
  let site = 0
  let done = 0
  let sites = 0
  const probe = instrument(model, {
    ...options,
    reducers: { ...(options.reducers ?? {}), progress: progressReducer(() => tick(done, ++site, sites)) },
  })
  sites = probe.sites.length
  try {
    const per = inputs.shape.reduce((a, b) => a * b, 1)
    const x = (at: number, n: number): tf.Tensor => {
      const values = inputs.values.subarray(at * per, (at + n) * per)
      return dtype === 'int32'
        ? tf.tensor(Int32Array.from(values, Math.round), [n, ...inputs.shape], 'int32')
        : tf.tensor(values, [n, ...inputs.shape])
    }
    const dataset = {
      iterator: async () => {
        let at = 0
        return {
          next: async (): Promise<IteratorResult<tf.Tensor>> => {
            // asking for the next batch means the previous one has been measured
            done = at
            site = 0
            tick(done, 0, sites)
            if (at >= used) return { done: true, value: undefined }
            const n = Math.min(size, used - at)
            at += n
            return { done: false, value: x(at - n, n) }
          },
        }
      },
    }
    const m = (await probe.measurePatterns(dataset, {
      batchSize: size,
      ...(labels === null ? {} : { labels: labels.subarray(0, used) }),
    })) as Measured['measurement']
    // the progress reducer's null results are no reading
    const results = Object.fromEntries(
      Object.entries(m.results).map(([id, r]) => [id, Object.fromEntries(Object.entries(r).filter(([k]) => k !== 'progress'))]),
    )
    return { measurement: { ...m, results }, sites: [...probe.sites], used }
  } finally {
    probe.dispose()
  }
}

/** The sites a probe would record with `options`, without measuring. */
export function sitesOf(model: Parameters<typeof instrument>[0], options: Options): Site[] {
  const probe = instrument(model, { ...options, reducers: {} })
  const sites = [...probe.sites]
  probe.dispose()
  return sites
}

/**
 * Pairs the sites of two models before any measuring: by id, or by order; a site of one
 * without its match in the other, or with other units, is a {@link UsageError}. Returns
 * the second model's id for each of the first's.
 */
export function matchSites(a: readonly Site[], b: readonly Site[], byOrder: boolean, label: string): Map<string, string> {
  const pairs = new Map<string, string>()
  if (byOrder) {
    if (a.length !== b.length)
      throw new UsageError(`--against ${label} has ${b.length} sites and the model ${a.length}; matched by order they must be as many.`)
    a.forEach((s, i) => {
      pairs.set(s.id, b[i]!.id)
    })
  } else {
    const ids = new Set(b.map((s) => s.id))
    const missing = a.filter((s) => !ids.has(s.id))
    if (missing.length > 0 || a.length !== b.length) {
      const extra = b.filter((s) => !a.some((t) => t.id === s.id))
      const first = missing[0] ?? extra[0]
      throw new UsageError(
        `--against ${label} has other site ids (${missing.length} of the model's are not in it${first === undefined ? '' : `, such as ${first.id}`}); if it is the same architecture under other names, add --match order.`,
      )
    }
    for (const s of a) pairs.set(s.id, s.id)
  }
  for (const s of a) {
    const t = b.find((x) => x.id === pairs.get(s.id))!
    if (s.units !== t.units || s.positions !== t.positions) {
      throw new UsageError(
        `--against ${label}: site ${s.id} has ${s.units} units x ${s.positions ?? '?'} positions, its match ${t.id} ${t.units} x ${t.positions ?? '?'}; the models differ in architecture.`,
      )
    }
  }
  return pairs
}

/** `m` with its sites renamed by `ids` (second model's id -> first model's id), for comparing by order. */
export function renamed(m: Measured['measurement'], ids: ReadonlyMap<string, string>): Measured['measurement'] {
  const back = new Map([...ids].map(([a, b]) => [b, a]))
  const rename = <T>(r: Readonly<Record<string, T>>): Record<string, T> =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [back.get(k) ?? k, v]))
  return { ...m, results: rename(m.results), patterns: rename(m.patterns) }
}
