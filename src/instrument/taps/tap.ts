/* Wrapping one layer instance's call() so that its output is seen, and undoing it. */
import type { LayerLike } from '../sites/layers.js'

/** Receives a layer's output (and its inputs) after each `call`; `training` is the call's `kwargs.training`. */
export type OutputListener = (output: unknown, training: boolean, inputs: unknown) => void

/**
 * Wraps `call` on one layer instance (never the prototype): every execution path of
 * tfjs-layers, nested models included, ends there, fused activations included. Returns
 * the undo, which restores the instance exactly (no own property is left behind unless
 * there was one before).
 */
export function tapLayer(layer: LayerLike, listener: OutputListener): () => void {
  const hadOwn = Object.hasOwn(layer, 'call')
  const own = hadOwn ? layer.call : undefined
  const original = layer.call
  const tapped = function (this: unknown, inputs: unknown, kwargs: Record<string, unknown>) {
    const output = original.call(this, inputs, kwargs)
    listener(output, kwargs?.['training'] === true, inputs)
    return output
  }
  layer.call = tapped
  return () => {
    if (hadOwn) layer.call = own as LayerLike['call']
    else delete (layer as Partial<LayerLike>).call
  }
}
