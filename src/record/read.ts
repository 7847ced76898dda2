/* Reading a tensor's values once, synchronously, in place where the backend allows. */
import type { Tensor } from '@tensorflow/tfjs-core'
import { backend, getBackend } from '@tensorflow/tfjs-core'

/** The internals of the wasm backend that allow reading a tensor in place. */
interface WasmBackendLike {
  dataIdMap?: { get(id: object): { memoryOffset?: number; dtype?: string } | undefined }
  wasm?: { HEAPU8?: Uint8Array }
}

/**
 * A tensor's values, read once and synchronously. On the wasm backend the values are
 * viewed in place in the module's heap, saving the copy `dataSync()` makes (the view is
 * used before any other wasm call can grow the heap, and never kept); on cpu
 * `dataSync()` already returns the backing array. Anything unexpected falls back to
 * `dataSync()`.
 */
export function readValues(t: Tensor): ArrayLike<number> {
  if (t.dtype === 'float32' && getBackend() === 'wasm') {
    const b = backend() as unknown as WasmBackendLike
    const info = b.dataIdMap?.get(t.dataId)
    const heap = b.wasm?.HEAPU8
    if (
      info !== undefined &&
      info.dtype === 'float32' &&
      typeof info.memoryOffset === 'number' &&
      info.memoryOffset % 4 === 0 &&
      heap !== undefined &&
      info.memoryOffset + t.size * 4 <= heap.byteLength
    ) {
      return new Float32Array(heap.buffer, heap.byteOffset + info.memoryOffset, t.size)
    }
  }
  return t.dataSync() as ArrayLike<number>
}
