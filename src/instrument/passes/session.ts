/* One measure() call: its own stream of states, labels lined up with batches, retained rows. */
import type { Tensor } from '@tensorflow/tfjs-core'
import { wordsFor } from '../../bits/pack.js'
import { type Fingerprint, fingerprint, fingerprintAdd, fingerprintHex } from '../../bits/fingerprint.js'
import type { ExampleValues, RetainedPatterns } from '../../compare/measurement.js'
import { InstrumentError } from '../../errors.js'
import { putOwn } from '../../keys.js'
import type { PackedBatch } from '../../reducer.js'
import { type PatternHistogramState, patternHistogram } from '../../reducers/pattern-histogram.js'
import { isTensor } from './forward.js'
import type { NetworkPart } from '../sites/network.js'
import type { Site } from '../sites/layers.js'
import { type ReducerSet, Stream } from './store.js'

/** Turns user labels (array, typed array or 1-D tensor) into int32, or throws a coded error. */
export function toLabels(labels: unknown, where = 'measure()'): Int32Array {
  let values: ArrayLike<number>
  if (isTensor(labels)) {
    if (labels.isDisposed) throw new InstrumentError('INVALID_INPUT', `${where}: the labels tensor has been disposed. Pass a live tensor.`)
    if (labels.shape.length !== 1) {
      throw new InstrumentError(
        'INVALID_INPUT',
        `${where}: labels must be a 1-D tensor (one integer per example), not shape [${labels.shape.join(', ')}].`,
      )
    }
    values = labels.dataSync()
  } else if (Array.isArray(labels) || (ArrayBuffer.isView(labels) && !(labels instanceof DataView))) {
    values = labels as ArrayLike<number>
  } else {
    throw new InstrumentError(
      'INVALID_OPTION',
      `${where}: labels must be an array, a typed array or a 1-D tensor of integers, not ${labels === null ? 'null' : typeof labels}.`,
    )
  }
  const out = new Int32Array(values.length)
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!
    if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) {
      throw new InstrumentError('INVALID_INPUT', `${where}: labels[${i}] is ${String(v)}; labels must be 32-bit integers (class ids).`)
    }
    out[i] = v
  }
  return out
}

/** Per example, a site's activations averaged over its positions, in pass order. */
class MeanValues {
  private values = new Float32Array(1024)
  private examples = 0
  private readonly sums: Float64Array

  constructor(private readonly site: Site) {
    this.sums = new Float64Array(site.units)
  }

  add(batch: PackedBatch): void {
    const { units, positions, rows } = batch
    const v = batch.values
    if (v === undefined) throw new InstrumentError('INVALID_INPUT', `Site "${this.site.id}" was recorded without its values.`)
    const examples = rows / positions
    if (this.values.length < (this.examples + examples) * units) {
      const grown = new Float32Array(Math.max((this.examples + examples) * units, 2 * this.values.length))
      grown.set(this.values.subarray(0, this.examples * units))
      this.values = grown
    }
    const sums = this.sums
    for (let e = 0; e < examples; e++) {
      sums.fill(0)
      for (let p = 0, i = e * positions * units; p < positions; p++) for (let u = 0; u < units; u++, i++) sums[u] = sums[u]! + v[i]!
      const at = (this.examples + e) * units
      for (let u = 0; u < units; u++) this.values[at + u] = sums[u]! / positions
    }
    this.examples += examples
  }

  done(): ExampleValues {
    return { units: this.site.units, examples: this.examples, values: this.values.slice(0, this.examples * this.site.units) }
  }
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
    this.histogram = this.reducer.init({ units: site.units, wordsPerRow: wordsFor(site.units) })
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
      wordsPerRow: wordsFor(this.site.units),
      rows: this.rows,
      positions: this.site.positions ?? this.positions,
      words: this.words.slice(0, this.used),
      histogram: this.histogram,
      ...(this.site.plane === 'network' ? { network: true } : {}),
    }
  }
}

/** The state of one `measure` call: its own stream of fresh states, labels lined up with batches, retained rows. */
export class MeasureSession {
  /** Labels of the examples of the batch now running, or null. */
  current: Int32Array | null = null
  examples = 0
  readonly stream: Stream
  private readonly print: Fingerprint = fingerprint()
  private readonly retainers: Retainer[] | null
  private readonly means: MeanValues[] | null

  constructor(
    reducers: ReducerSet,
    private readonly sites: readonly Site[],
    private readonly labels: Int32Array | null,
    retain: boolean,
    network: readonly NetworkPart[] | null = null,
    values = false,
  ) {
    this.retainers = retain ? sites.map((s) => new Retainer(s)) : null
    // sign planes only: a saturation plane has the same values, and the whole-network site none of its own
    const means = values ? sites.map((s) => (s.plane === 'sign' ? new MeanValues(s) : null)) : null
    this.means = means === null ? null : (means.filter((m) => m !== null) as MeanValues[])
    const retainers = this.retainers
    const keep =
      retainers === null
        ? null
        : (i: number, batch: PackedBatch) => {
            retainers[i]!.add(batch)
            means?.[i]?.add(batch)
          }
    this.stream = new Stream(reducers, sites, undefined, keep, network)
  }

  /** Per site id (sign planes; saturation planes and the whole-network site have none), each example's mean activations. */
  values(): Record<string, ExampleValues> {
    const out: Record<string, ExampleValues> = {}
    const sites = this.sites.filter((s) => s.plane === 'sign')
    for (const [i, m] of (this.means ?? []).entries()) putOwn(out, sites[i]!.id, m.done())
    return out
  }

  /** The id of the forward pass running now: one per batch. */
  pass = 0

  /** For a `capture`: the capture it runs inside, which gets its rows too (null for a measurement or an outermost capture). */
  outer: MeasureSession | null = null
  /** True for the session of a `capture` (whose rows also go to the captures around it). */
  capturing = false

  private readonly predicted: Int32Array[] = []

  /** The number of classes the predictions are among (the chosen output's width); 0 before any. */
  classes = 0

  /** Keeps the predicted classes of the batch that just ran, among `width` classes. */
  addPredictions({ classes, width }: { classes: Int32Array; width: number }): void {
    if (this.classes !== 0 && width !== this.classes) {
      throw new InstrumentError(
        'INVALID_INPUT',
        `predictions: the output had ${this.classes} classes in one batch and ${width} in another; give the model one kind of input.`,
      )
    }
    this.classes = width
    this.predicted.push(classes)
  }

  /** The predicted classes of every example, in order. */
  predictions(): Int32Array {
    const out = new Int32Array(this.predicted.reduce((n, p) => n + p.length, 0))
    let at = 0
    for (const p of this.predicted) {
      out.set(p, at)
      at += p.length
    }
    return out
  }

  /** Called before each batch runs. */
  beginBatch(inputs: readonly Tensor[], examples: number): void {
    this.pass++
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
    this.retainers?.forEach((r, i) => {
      putOwn(out, this.sites[i]!.id, r.done())
    })
    return out
  }
}
