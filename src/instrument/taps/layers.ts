/* The tap on a layers model: each site's layer instance wrapped, grouped into recorders. */
import type { LayersModel } from '@tensorflow/tfjs-layers'
import { saturationThreshold } from '../../bits/pack.js'
import { Recorder } from '../../record/recorder.js'
import type { FoundSite, LayerLike } from '../sites/layers.js'
import { tapLayer } from './tap.js'

/** One tapped layer: read once, packed into each of its sites' planes. */
export interface LayerRuntime {
  readonly layer: LayerLike
  readonly recorder: Recorder
  /** Indices (into the probe's sites) of the sites recorded from this layer, one per bit plane. */
  readonly planes: readonly number[]
}

/** A tfjs-layers model, recognised by shape so that a model from another copy of tfjs-layers still counts. */
export function isLayersModel(x: unknown): x is LayersModel & LayerLike {
  const m = x as Partial<LayersModel> | null
  return (
    typeof m === 'object' && m !== null && Array.isArray(m.layers) && typeof m.predict === 'function' && typeof m.getLayer === 'function'
  )
}

/** Groups sites by the layer they tap: each layer is read once for all its planes. */
export function groupByLayer(found: readonly FoundSite[], values = false): LayerRuntime[] {
  const byLayer = new Map<LayerLike, number[]>()
  found.forEach(({ layer }, index) => {
    const list = byLayer.get(layer) ?? []
    list.push(index)
    byLayer.set(layer, list)
  })
  return [...byLayer].map(([layer, planes]) => {
    const sites = planes.map((i) => found[i]!.site)
    const first = sites[0]!
    const thresholds = sites.map((s) => (s.plane === 'saturation' ? saturationThreshold(s.maxValue ?? 0) : 0))
    const caps = sites.map((s) => (s.plane === 'saturation' ? (s.maxValue ?? 0) : null))
    const recorder = new Recorder({
      id: first.id,
      units: first.units,
      granularity: first.granularity,
      dataFormat: first.dataFormat,
      thresholds,
      caps,
      values,
    })
    return { layer, recorder, planes }
  })
}

/** One tapped tensor and the sites (bit planes) packed from it. */
export interface Group {
  readonly recorder: Recorder
  /** Indices (into the probe's sites) of the sites recorded from this tensor, one per bit plane. */
  readonly planes: readonly number[]
}

/** Where the outputs come from: a kind of model, tapped. */
export interface Source {
  readonly groups: readonly Group[]
  /** Objects now instrumented (layers, an executor), so that a second probe is refused. */
  readonly tapped: readonly object[]
  /** True when the float values are read with the bits (for reducers that need them, or `values: true`). */
  readonly values: boolean
  /** False for models without a training mode (graph models). */
  readonly trains: boolean
  /** True when the model runs only asynchronously (a graph with control flow: `executeAsync`). */
  readonly asyncOnly: boolean
  /**
   * Starts delivering each group's output of every forward call; returns one undo per tap.
   * A source that delivers after an `await` passes the owner it took with `owner()` when
   * the call began, so the output still goes to whoever started the call.
   */
  attach(
    deliver: (group: number, output: unknown, training: boolean, owner?: { value: unknown }) => void,
    owner: () => unknown,
  ): (() => void)[]
}

/** The source of a layers model: each site's layer `call`, tapped. */
export function layersSource(found: readonly FoundSite[], values = false): Source {
  const runtimes = groupByLayer(found, values)
  return {
    groups: runtimes,
    tapped: runtimes.map((lr) => lr.layer),
    values,
    trains: true,
    asyncOnly: false,
    attach: (deliver) =>
      runtimes.map((lr, i) => {
        const input = found[lr.planes[0]!]!.site.reads === 'input'
        return tapLayer(lr.layer, (out, training, inputs) =>
          deliver(i, input ? (Array.isArray(inputs) ? inputs[0] : inputs) : out, training),
        )
      }),
  }
}
