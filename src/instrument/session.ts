import type { Tensor } from '@tensorflow/tfjs-core'
import { type Fingerprint, fingerprint, fingerprintAdd, fingerprintHex } from '../bits/fingerprint.js'
import type { RetainedPatterns } from '../compare/measurement.js'
import { InstrumentError } from '../errors.js'
import type { PackedBatch } from '../reducer.js'
import { type PatternHistogramState, patternHistogram } from '../reducers/pattern-histogram.js'
import type { Site } from './sites.js'

/** Turns user labels (array, typed array or 1-D tensor) into int32, or throws INVALID_INPUT. */
export function toLabels(labels: ArrayLike<number> | Tensor): Int32Array {
  const values: ArrayLike<number> =
    typeof (labels as Tensor).dataSync === 'function' ? (labels as Tensor).dataSync() : (labels as ArrayLike<number>)
  if (values === null || typeof values !== 'object' || typeof values.length !== 'number') {
    throw new InstrumentError('INVALID_INPUT', 'labels must be an array, a typed array or a 1-D tensor of integers.')
  }
  const out = new Int32Array(values.length)
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!
    if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) {
      throw new InstrumentError('INVALID_INPUT', `labels[${i}] is ${String(v)}; labels must be 32-bit integers (class ids).`)
    }
    out[i] = v
  }
  return out
}

/** A growable copy of every packed row of one site, plus its exact histogram. */
class Retainer {
  private words = new Uint32Array(1024)
  private used = 0
  private rows = 0
  private positions = 1
  private readonly reducer = patternHistogram({ maxBytes: Number.POSITIVE_INFINITY })
  private histogram: PatternHistogramState

  constructor(private readonly site: Site) {
    this.histogram = this.reducer.init({ units: site.units, wordsPerRow: Math.ceil(site.units / 32) })
  }

  add(batch: PackedBatch): void {
    const n = batch.rows * batch.wordsPerRow
    if (this.used + n > this.words.length) {
      const grown = new Uint32Array(Math.max(this.used + n, this.words.length * 2))
      grown.set(this.words.subarray(0, this.used))
      this.words = grown
    }
    this.words.set(batch.words.subarray(0, n), this.used)
    this.used += n
    this.rows += batch.rows
    this.positions = batch.positions
    this.histogram = this.reducer.update(this.histogram, { ...batch, labels: null })
  }

  done(): RetainedPatterns {
    return {
      units: this.site.units,
      wordsPerRow: Math.ceil(this.site.units / 32),
      rows: this.rows,
      positions: this.site.positions ?? this.positions,
      words: this.words.slice(0, this.used),
      histogram: this.histogram,
    }
  }
}

/** The state of one `measure` call: fresh reducer states, labels lined up with batches, retained rows. */
export class MeasureSession {
  /** Labels of the examples of the batch now running, or null. */
  current: Int32Array | null = null
  examples = 0
  private readonly print: Fingerprint = fingerprint()
  private readonly retainers: Map<Site, Retainer> | null

  constructor(
    readonly states: Map<Site, Record<string, unknown>>,
    private readonly labels: Int32Array | null,
    retain: boolean,
  ) {
    this.retainers = retain ? new Map([...states.keys()].map((s) => [s, new Retainer(s)])) : null
  }

  /** Called before each batch runs. */
  beginBatch(inputs: readonly Tensor[], examples: number): void {
    if (this.labels !== null) {
      if (this.examples + examples > this.labels.length) {
        throw new InstrumentError(
          'INVALID_INPUT',
          `measure() got ${this.labels.length} labels but more examples than that. Give one label per example.`,
        )
      }
      this.current = this.labels.subarray(this.examples, this.examples + examples)
    }
    this.examples += examples
    if (this.retainers !== null) {
      const first = this.print.words === 0
      for (const t of inputs) {
        if (first) fingerprintAdd(this.print, Uint32Array.from(t.shape.slice(1)))
        const data = t.dataSync() as Float32Array | Int32Array | Uint8Array
        const bytes = new Uint8Array(Math.ceil(data.byteLength / 4) * 4)
        bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
        fingerprintAdd(this.print, new Uint32Array(bytes.buffer))
      }
    }
  }

  retain(site: Site, batch: PackedBatch): void {
    this.retainers?.get(site)?.add(batch)
  }

  /** Throws unless every label was used. */
  finish(): void {
    if (this.labels !== null && this.examples !== this.labels.length) {
      throw new InstrumentError(
        'INVALID_INPUT',
        `measure() got ${this.labels.length} labels for ${this.examples} examples. Give one label per example.`,
      )
    }
  }

  get inputs(): string {
    return fingerprintHex(this.print)
  }

  retained(): Record<string, RetainedPatterns> {
    const out: Record<string, RetainedPatterns> = {}
    for (const [site, r] of this.retainers ?? []) out[site.id] = r.done()
    return out
  }
}
