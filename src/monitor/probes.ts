/* How the monitor reaches a probe: the model's own, or one made for the call. */
import type { LayersModel } from '@tensorflow/tfjs-layers'
import { InstrumentError } from '../errors.js'
import { instrument, isLayersModel, modelSites as sitesOf, probeOf, type Probe, type Site } from '../instrument/index.js'
import type { ReducerMap } from '../reducer.js'

/** Throws `NOT_A_MODEL` unless `model` is a tfjs-layers model. */
export function assertModel(model: unknown, where: string): asserts model is LayersModel {
  if (!isLayersModel(model)) throw new InstrumentError('NOT_A_MODEL', `${where} takes a tfjs-layers LayersModel.`)
}

/** The model's ReLU sites (sign planes, position granularity), found without tapping anything. */
export function modelSites(model: LayersModel): Site[] {
  return sitesOf(model as never)
}

/** The number of classes of a classifier: the size of its (first) output's last axis. */
export function classesOf(model: LayersModel): number {
  const shape = (model.outputs?.[0]?.shape ?? []) as (number | null)[]
  const c = shape[shape.length - 1]
  if (shape.length !== 2 || typeof c !== 'number') {
    throw new InstrumentError('INVALID_INPUT', 'A monitor needs a classifier: a model whose (first) output is [examples, classes].')
  }
  return c
}

/** The model's live probe, after checking that it records every site in `ids`. */
export function probeCovering(model: LayersModel, ids: readonly string[]): Probe<ReducerMap> | undefined {
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
export async function withProbe<T>(model: LayersModel, ids: readonly string[], fn: (probe: Probe<ReducerMap>) => Promise<T>): Promise<T> {
  const existing = probeCovering(model, ids)
  if (existing !== undefined) return fn(existing)
  const probe = instrument(model, { reducers: {}, sites: [...ids] })
  try {
    return await fn(probe)
  } finally {
    probe.dispose()
  }
}
