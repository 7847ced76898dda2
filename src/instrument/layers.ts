import type { LayersModel } from '@tensorflow/tfjs-layers'
import { saturationThreshold } from '../bits/pack.js'
import { Recorder } from '../record/recorder.js'
import type { SiteCounters } from './probe-types.js'
import type { FoundSite, LayerLike, Site } from './sites.js'

/** One recorded site (one bit plane of one layer). */
export interface SiteRuntime {
  readonly site: Site
  states: Record<string, unknown>
  counters: SiteCounters
}

/** One tapped layer: read once, packed into each of its sites' planes. */
export interface LayerRuntime {
  readonly layer: LayerLike
  readonly recorder: Recorder
  readonly sites: SiteRuntime[]
}

/** A tfjs-layers model, recognised by shape so that a model from another copy of tfjs-layers still counts. */
export function isLayersModel(x: unknown): x is LayersModel & LayerLike {
  const m = x as Partial<LayersModel> | null
  return (
    typeof m === 'object' &&
    m !== null &&
    Array.isArray(m.layers) &&
    typeof m.predict === 'function' &&
    typeof m.getLayer === 'function'
  )
}

/** Groups sites by the layer they tap: each layer is read once for all its planes. */
export function groupByLayer(found: FoundSite[], fresh: (site: Site) => SiteRuntime): LayerRuntime[] {
  const byLayer = new Map<LayerLike, SiteRuntime[]>()
  for (const { site, layer } of found) {
    const list = byLayer.get(layer) ?? []
    list.push(fresh(site))
    byLayer.set(layer, list)
  }
  return [...byLayer].map(([layer, sites]) => {
    const first = sites[0]!.site
    const thresholds = sites.map((s) => (s.site.plane === 'saturation' ? saturationThreshold(s.site.maxValue ?? 0) : 0))
    const caps = sites.map((s) => (s.site.plane === 'saturation' ? (s.site.maxValue ?? 0) : null))
    const recorder = new Recorder({ id: first.id, units: first.units, granularity: first.granularity, dataFormat: first.dataFormat, thresholds, caps })
    return { layer, recorder, sites }
  })
}

