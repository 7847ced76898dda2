/* Feature vectors for the value detectors: each example's mean activations at chosen sites, concatenated. */
import type { ExampleValues, Measurement } from '../compare/measurement.js'
import { InstrumentError } from '../errors.js'
import { type MeasureInput, instrument, outputIndex, probeOf, sitesOfOutput } from '../instrument/index.js'
import { type Declaration, check, declareOptions, integer } from '../options.js'
import type { Features } from './feature-vectors.js'
import { outputChoice } from '../instrument/index.js'
import { type MonitorModel, assertModel, modelSites } from './probes.js'

export type { Features } from './feature-vectors.js'

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
export function featuresOf(
  m: Pick<Measurement<unknown>, 'values' | 'predictions'> & { readonly examples?: number },
  sites?: readonly string[],
): Features {
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
  if ((m.examples !== undefined && examples !== m.examples) || (m.predictions !== undefined && m.predictions.length !== examples)) {
    throw new InstrumentError(
      'INVALID_INPUT',
      `featuresOf: the sites kept values for ${examples} examples, the measurement has ${m.examples ?? m.predictions?.length}: ` +
        'a layer called more than once per pass (shared, or inside a nested model with several outputs). Take features at another site.',
    )
  }
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
      output: { check: outputChoice },
    }) satisfies Declaration<FeatureOptions>,
)

/** Options of {@link measureFeatures}. */
export interface FeatureOptions {
  /** Site ids (default: the last ReLU site the output depends on). */
  sites?: readonly string[]
  /** Examples per forward pass (default 128). */
  batchSize?: number
  /** The output whose predicted classes the features carry, by index or name (default: the first output of a layers classifier; none for a graph model). */
  output?: number | string
}

/**
 * One forward pass over `x`: the {@link Features} at `sites` (default: the last ReLU site),
 * and for a classifier each example's predicted class (a graph model's, when `output` names it). A model without a probe gets one
 * for the call; a model with its own probe is measured with it (its training stream is
 * untouched) when that probe reads values, records those sites and records per position,
 * else it is `ALREADY_INSTRUMENTED`.
 *
 * @example
 * ```ts
 * const train = await measureFeatures(model, trainXs, { sites: ['dense2', 'dense3'] })
 * const detector = mahalanobisFit(train, trainLabels)
 * ```
 */
export async function measureFeatures(model: MonitorModel, x: MeasureInput, options: FeatureOptions = {}): Promise<Features> {
  const o = OPTIONS.parse(options)
  assertModel(model, 'measureFeatures(model, x, options)')
  const all = modelSites(model)
  const where = 'measureFeatures(model, x, options)'
  const ids =
    o.sites ??
    sitesOfOutput(model, outputIndex(model, o.output, where), all, where)
      .slice(-1)
      .map((s) => s.id)
  const existing = probeOf(model)
  if (existing !== undefined) {
    // the model's own probe: it must read values, at those sites, per position (a probe per example gives whole maps, not channel means)
    const reads = existing.options.values === true || Object.values(existing.options.reducers ?? {}).some((r) => r.needs === 'values')
    const missing = ids.filter((id) => !existing.sites.some((s) => s.id === id))
    const perExample = existing.options.granularity === 'example'
    if (!reads || missing.length > 0 || perExample) {
      const why = !reads
        ? 'reads only bits'
        : missing.length > 0
          ? `does not record ${missing.join(', ')}`
          : "records per example (granularity 'example')"
      throw new InstrumentError(
        'ALREADY_INSTRUMENTED',
        `measureFeatures: the model's probe ${why}. Dispose it, or instrument the model with { values: true } and those sites, then measure.`,
      )
    }
  }
  const probe = existing ?? instrument(model, { reducers: {}, sites: [...ids], values: true })
  // predicted classes only for a classifier: the output named, or a layers model's first when [examples, classes]; the features do not need them
  const shape = ((model as { outputs?: readonly { shape?: unknown }[] }).outputs?.[0]?.shape ?? []) as unknown[]
  const predictions = o.output !== undefined || (shape.length === 2 && (shape[1] as number) >= 2)
  try {
    const output = o.output === undefined ? {} : { output: o.output }
    const m = await probe.measurePatterns(x, { predictions, values: true, batchSize: o.batchSize, ...output })
    return featuresOf(m, ids)
  } finally {
    if (existing === undefined) probe.dispose()
  }
}
