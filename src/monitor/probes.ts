/* How the monitor reaches a probe: the model's own, or one made for the call. */
import type { LayersModel } from '@tensorflow/tfjs-layers'
import { InstrumentError } from '../errors.js'
import {
  type GraphModelLike,
  instrument,
  isGraphModel,
  isLayersModel,
  modelSites as sitesOf,
  probeOf,
  type Probe,
  signatureWidth,
  type Site,
} from '../instrument/index.js'
import type { ReducerMap } from '../reducer.js'

/** A model a monitor can watch: a tfjs-layers model or a converted graph model. */
export type MonitorModel = LayersModel | GraphModelLike

/** Throws `NOT_A_MODEL` unless `model` is a tfjs-layers model or a tfjs-converter graph model. */
export function assertModel(model: unknown, where: string): asserts model is MonitorModel {
  if (!isLayersModel(model) && !isGraphModel(model))
    throw new InstrumentError('NOT_A_MODEL', `${where} takes a tfjs-layers LayersModel or a tfjs-converter GraphModel.`)
}

/** The model's ReLU sites (sign planes, position granularity), found without tapping anything. */
export function modelSites(model: MonitorModel): Site[] {
  return sitesOf(model)
}

/**
 * The number of classes output `output` declares (the last axis of `[examples, classes]`),
 * or null when the model does not say (a graph model converted without a signature): then
 * the measured output tells. A declared output of another shape is refused.
 */
export function declaredClasses(model: MonitorModel, output: number): number | null {
  if (isGraphModel(model)) return signatureWidth(model, output)
  const shape = (model.outputs?.[output]?.shape ?? []) as (number | null)[]
  const c = shape[shape.length - 1]
  if (shape.length !== 2 || typeof c !== 'number' || c < 2) {
    throw new InstrumentError(
      'INVALID_INPUT',
      `A monitor needs a classifier: output ${output} must be [examples, classes] with two or more classes; it is ` +
        `[${shape.map((d) => d ?? 'any').join(', ')}]. Choose the classifying output with { output }.`,
    )
  }
  return c
}

/** The model's live probe, after checking that it records every site in `ids`. */
export function probeCovering(model: MonitorModel, ids: readonly string[]): Probe<ReducerMap> | undefined {
  const existing = probeOf(model)
  if (existing === undefined) return undefined
  const missing = ids.filter((id) => !existing.sites.some((s) => s.id === id))
  if (missing.length > 0) {
    throw new InstrumentError(
      'ALREADY_INSTRUMENTED',
      `The model's probe does not record ${missing.join(', ')}. Dispose it, or instrument the model with those sites too.`,
    )
  }
  return existing
}

/** Runs `fn` with a probe recording `ids`: the model's own live probe, or one made for the call. */
export async function withProbe<T>(model: MonitorModel, ids: readonly string[], fn: (probe: Probe<ReducerMap>) => Promise<T>): Promise<T> {
  const existing = probeCovering(model, ids)
  if (existing !== undefined) return fn(existing)
  const probe = instrument(model, { reducers: {}, sites: [...ids] })
  try {
    return await fn(probe)
  } finally {
    probe.dispose()
  }
}
