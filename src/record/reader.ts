/* How outputs are read (in the pass, after it, or as the backend suits), in order. */
import type { Tensor } from '@tensorflow/tfjs-core'
import { getBackend } from '@tensorflow/tfjs-core'
import type { PackedBatch } from '../reducer.js'
import { bitWeights, complete, deviceBitsPerWord, launch } from './device.js'
import { type Recorder, expandLabels } from './recorder.js'

/** How outputs are read: in the forward pass, after it, or as the backend suits. */
export type ReadMode = 'auto' | 'sync' | 'async'

/** Backends where a synchronous read stalls the device. */
const ASYNC_BACKENDS = new Set(['webgl', 'webgpu'])

/** Receives the packed planes of one read, or the error that stopped it. */
export interface Delivery {
  /** The batches, one per bit plane of the recorder, in plane order. */
  done(batches: PackedBatch[]): void
  /** Reading or packing failed. */
  failed(error: unknown): void
}

/**
 * Turns tensors into packed batches, synchronously (cpu, wasm) or by packing on the device
 * and reading after the step (GPU backends). Deliveries happen in the order reads were
 * started, whichever path each took, so reducers always see batches in forward order.
 * Owns the bit-weight tensors of device packing (one per backend and word size).
 */
export class Reader {
  /** Reads started and not yet delivered, chained in start order. */
  private pending: Promise<void> = Promise.resolve()
  private inFlight = 0
  private readonly weights = new Map<string, Tensor>()

  constructor(private readonly mode: ReadMode) {}

  /**
   * Reads `output` (shape `[batch, ...]`) into `recorder`'s planes and delivers them.
   * `labels` holds one label per example of the batch, or null. Never throws: failures
   * go to `delivery.failed`.
   */
  read(recorder: Recorder, output: Tensor, labels: Int32Array | null, delivery: Delivery): void {
    const inOrder = this.inFlight === 0
    let ready: PackedBatch[] | Promise<PackedBatch[]>
    try {
      ready = this.async() && recorder.spec.values !== true ? this.launch(recorder, output, labels) : recorder.pack(output, labels)
    } catch (error) {
      if (inOrder) {
        delivery.failed(error)
        return
      }
      ready = Promise.reject(error)
      ready.catch(() => undefined) // consumed in order by chain(); this only marks it handled now
    }
    if (ready instanceof Promise) {
      this.chain(ready, delivery)
      return
    }
    if (inOrder) {
      delivery.done(ready)
      return
    }
    // an earlier device read is still in flight: keep the order by copying now (the
    // recorder reuses its buffers) and delivering after it
    this.chain(
      Promise.resolve(
        ready.map((b) => ({
          ...b,
          words: b.words.slice(),
          labels: b.labels?.slice() ?? null,
          ...(b.values === undefined ? {} : { values: b.values.slice() }),
        })),
      ),
      delivery,
    )
  }

  /** True when every read started so far has been delivered (always, between passes, on cpu and wasm). */
  get idle(): boolean {
    return this.inFlight === 0
  }

  /** Resolves when every read started so far has been delivered. */
  async flush(): Promise<void> {
    await this.pending
  }

  /** Frees the bit-weight tensors. Reads in flight still complete. */
  dispose(): void {
    for (const w of this.weights.values()) w.dispose()
    this.weights.clear()
  }

  /** Whether the next read takes the device path (the backend can change between reads). */
  protected async(): boolean {
    return this.mode === 'async' || (this.mode === 'auto' && ASYNC_BACKENDS.has(getBackend()))
  }

  /** Packs on the device now, reads later: the forward pass never waits for the GPU. */
  private launch(recorder: Recorder, output: Tensor, labels: Int32Array | null): Promise<PackedBatch[]> {
    const spec = recorder.spec
    const launched = launch(spec, output, this.weightsFor(deviceBitsPerWord()))
    const examples = output.shape[0] ?? 1
    let rowLabels: Int32Array | null = null
    try {
      if (labels !== null) rowLabels = expandLabels(spec.id, labels, examples, launched.positions)
    } catch (error) {
      for (const t of [...launched.planes, launched.nonFinite]) t.dispose()
      throw error
    }
    const ready = complete(launched, spec.units, rowLabels)
    ready.catch(() => undefined) // consumed in order by chain(); this only marks it handled now
    return ready
  }

  private chain(ready: Promise<PackedBatch[]>, delivery: Delivery): void {
    this.inFlight++
    this.pending = this.pending
      .then(() => ready)
      .then(
        (batches) => delivery.done(batches),
        (error: unknown) => delivery.failed(error),
      )
      .catch(() => undefined) // a delivery never throws into the chain; the next read still runs
      .finally(() => {
        this.inFlight--
      })
  }

  private weightsFor(bitsPerWord: 8 | 16): Tensor {
    const key = `${getBackend()}/${bitsPerWord}`
    let w = this.weights.get(key)
    if (w === undefined || w.isDisposed) {
      w = bitWeights(bitsPerWord)
      this.weights.set(key, w)
    }
    return w
  }
}
