/* Feature vectors for the value detectors: each example's mean activations at chosen sites, concatenated. */
import type { LayersModel } from '@tensorflow/tfjs-layers'
import type { ExampleValues, Measurement } from '../compare/measurement.js'
import { InstrumentError } from '../errors.js'
import { type MeasureInput, instrument, probeOf } from '../instrument/index.js'
import { type Declaration, check, declareOptions, integer } from '../options.js'
import { assertModel, modelSites } from './probes.js'

/**
 * Feature vectors, one per example: at each site in `sites`, the example's activations
 * averaged over the site's positions (a dense site's values as they are, a conv site's
 * global average per channel), concatenated in site order.
 */
export interface Features {
  readonly examples: number
  /** Values per example: the sum of the sites' units. */
  readonly dims: number
  /** `examples * dims` values, example by example. */
  readonly values: Float32Array
  /** Where each site's units sit in a vector. */
  readonly sites: readonly { readonly id: string; readonly units: number; readonly offset: number }[]
  /** Per example, the model's predicted class, when the pass kept it. */
  readonly predictions?: Int32Array
}

/**
 * The features of a measurement made with `measurePatterns(x, { values: true })`, at
 * `sites` (default: every site it kept values for, in its order). The same pass can feed
 * the pattern monitor (`monitor.checkPatterns(m.patterns, m.predictions)`) and the value
 * detectors.
 *
 * @example
 * ```ts
 * const probe = instrument(model, { reducers: {}, values: true })
 * const m = await probe.measurePatterns(xs, { predictions: true, values: true })
 * const features = featuresOf(m, ['dense2', 'dense3'])
 * ```
 */
export function featuresOf(m: Pick<Measurement<unknown>, 'values' | 'predictions'>, sites?: readonly string[]): Features {
  const kept = m?.values
  if (kept === undefined || kept === null || typeof kept !== 'object')
    throw new InstrumentError('INVALID_INPUT', 'featuresOf(m): m has no values; measure with probe.measurePatterns(x, { values: true }).')
  const ids = sites ?? Object.keys(kept)
  if (ids.length === 0) throw new InstrumentError('INVALID_INPUT', 'featuresOf(m, sites): no sites to take features from.')
  const parts: (ExampleValues & { id: string })[] = ids.map((id) => {
    const v = Object.hasOwn(kept, id) ? kept[id] : undefined
    if (v === undefined)
      throw new InstrumentError(
        'UNKNOWN_SITE',
        `featuresOf: the measurement kept no values for site "${id}" (it has ${Object.keys(kept).join(', ')}).`,
        {
          site: id,
        },
      )
    return { ...v, id }
  })
  const examples = parts[0]!.examples
  if (parts.some((p) => p.examples !== examples || p.values.length !== p.examples * p.units))
    throw new InstrumentError('CORRUPT_DATA', 'featuresOf: the sites kept values for different numbers of examples.')
  let dims = 0
  const layout = parts.map((p) => {
    const at = { id: p.id, units: p.units, offset: dims }
    dims += p.units
    return at
  })
  const values = new Float32Array(examples * dims)
  for (const [i, p] of parts.entries()) {
    const offset = layout[i]!.offset
    for (let e = 0; e < examples; e++) values.set(p.values.subarray(e * p.units, (e + 1) * p.units), e * dims + offset)
  }
  return { examples, dims, values, sites: layout, ...(m.predictions instanceof Int32Array ? { predictions: m.predictions } : {}) }
}

const OPTIONS = /* @__PURE__ */ declareOptions(
  'measureFeatures(model, x, options)',
  () =>
    ({
      sites: {
        check: check<readonly string[]>('an array of site ids', (s) => Array.isArray(s) && s.every((id) => typeof id === 'string')),
      },
      batchSize: { check: integer(1), default: 128 },
    }) satisfies Declaration<{ sites?: readonly string[]; batchSize?: number }>,
)

/**
 * One forward pass over `x`: the {@link Features} at `sites` (default: the last ReLU site)
 * and each example's predicted class. Uses the model's own probe when it reads values and
 * records those sites (its training stream is untouched), else a probe made for the call;
 * a model whose probe reads only bits is `ALREADY_INSTRUMENTED`.
 *
 * @example
 * ```ts
 * const train = await measureFeatures(model, trainXs, { sites: ['dense2', 'dense3'] })
 * const detector = mahalanobisFit(train, trainLabels)
 * ```
 */
export async function measureFeatures(
  model: LayersModel,
  x: MeasureInput,
  options: { sites?: readonly string[]; batchSize?: number } = {},
): Promise<Features> {
  const o = OPTIONS.parse(options)
  assertModel(model, 'measureFeatures(model, x, options)')
  const all = modelSites(model)
  const ids = o.sites ?? (all.length > 0 ? [all[all.length - 1]!.id] : [])
  const existing = probeOf(model)
  if (
    existing !== undefined &&
    !existing.options.values &&
    !Object.values(existing.options.reducers ?? {}).some((r) => r.needs === 'values')
  ) {
    throw new InstrumentError(
      'ALREADY_INSTRUMENTED',
      "measureFeatures: the model's probe reads only bits. Instrument it with { values: true }, or measure before instrumenting.",
    )
  }
  const probe = existing ?? instrument(model, { reducers: {}, sites: [...ids], values: true })
  try {
    const m = await probe.measurePatterns(x, { predictions: true, values: true, batchSize: o.batchSize })
    return featuresOf(m, ids)
  } finally {
    if (existing === undefined) probe.dispose()
  }
}
