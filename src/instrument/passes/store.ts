/* Reducer states per site (a stream), the reducer set that updates and merges them, and site counters. */
import { InstrumentError } from '../../errors.js'
import { putOwn } from '../../keys.js'
import { type PackedBatch, type ReducerMap, layoutOf } from '../../reducer.js'
import { NetworkAssembler, type NetworkPart } from '../sites/network.js'
import type { Site } from '../sites/layers.js'

/** What a site has seen since the last reset. */
export interface SiteCounters {
  /** Forward calls of the layer (each graph node counts). */
  calls: number
  /** Calls whose output was recorded (after the `passes` and `every` filters). */
  recorded: number
  /** Patterns recorded. */
  rows: number
  /** Non-finite activations seen (NaN counted off, +Infinity on). */
  nonFinite: number
  /**
   * Milliseconds the probe spent in the forward passes reading and packing this site's
   * output (on GPU backends: launching the packing ops; the read-back completes after
   * the step and is not counted). A plane of a layer read once (a saturation plane) shares
   * its layer's time, counted on the sign site.
   */
  recordMs: number
  /** Milliseconds spent in this site's reducers. */
  reduceMs: number
}

/** The named reducers of a probe; every call that throws becomes `REDUCER_FAILED`. */
export class ReducerSet {
  readonly keys: readonly string[]

  constructor(private readonly reducers: ReducerMap) {
    this.keys = Object.keys(reducers)
  }

  /** Fresh states of every reducer for one site. */
  init(site: Site): Record<string, unknown> {
    const states: Record<string, unknown> = {}
    for (const key of this.keys)
      putOwn(
        states,
        key,
        this.call(key, site, 'init', (r) => r.init(layoutOf(site.units))),
      )
    return states
  }

  /** Folds one batch into one site's states, in place. */
  update(site: Site, states: Record<string, unknown>, batch: PackedBatch): void {
    for (const key of this.keys)
      putOwn(
        states,
        key,
        this.call(key, site, 'update', (r) => r.update(states[key], batch)),
      )
  }

  /** One site's states merged (neither input changes). */
  merge(site: Site, a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = {}
    for (const key of this.keys)
      putOwn(
        out,
        key,
        this.call(key, site, 'merge', (r) => r.merge(a[key], b[key])),
      )
    return out
  }

  /** Results of one site's states. */
  results(site: Site, states: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = {}
    for (const key of this.keys)
      putOwn(
        out,
        key,
        this.call(key, site, 'result', (r) => r.result(states[key])),
      )
    return out
  }

  private call<T>(key: string, site: Site, method: string, fn: (r: ReducerMap[string]) => T): T {
    try {
      return fn(this.reducers[key]!)
    } catch (error) {
      if (error instanceof InstrumentError && error.code === 'REDUCER_FAILED') throw error
      // damaged or mismatched states given to merge or result keep their own code
      if (method !== 'update' && error instanceof InstrumentError && (error.code === 'CORRUPT_DATA' || error.code === 'LAYOUT_MISMATCH'))
        throw error
      throw new InstrumentError(
        'REDUCER_FAILED',
        `Reducer "${key}" threw in ${method}() at site "${site.id}": ${String(error)}. ` +
          (method === 'update'
            ? 'Recording of this stream has stopped; fix the reducer, then call reset() to record again.'
            : 'Fix the reducer; see "Writing a reducer" in the docs for the contract.'),
        { cause: error, reducer: key, site: site.id },
      )
    }
  }
}

const freshCounters = (): SiteCounters => ({ calls: 0, recorded: 0, rows: 0, nonFinite: 0, recordMs: 0, reduceMs: 0 })

/**
 * The per-site reducer states and counters of one stream of forward passes: the
 * training stream of a probe, or one measurement. A stream that fails (a reducer threw,
 * a read failed) keeps the error, records nothing more, and reports it once.
 */
export class Stream {
  readonly states: Record<string, unknown>[]
  readonly counters: SiteCounters[]
  failure: InstrumentError | null = null

  constructor(
    private readonly reducers: ReducerSet,
    readonly sites: readonly Site[],
    private readonly onFailure: (error: InstrumentError) => void = () => undefined,
    private readonly retain: ((site: number, batch: PackedBatch) => void) | null = null,
    network: readonly NetworkPart[] | null = null,
  ) {
    this.states = sites.map((site) => reducers.init(site))
    this.counters = sites.map(freshCounters)
    this.network = network === null ? null : assembler(sites, network)
  }

  private readonly network: NetworkAssembler | null

  /**
   * Folds one read (one batch per plane) into the states of the planes' sites. `pass`
   * identifies the forward pass the read came from, so that the whole-network site joins
   * only batches of one pass.
   */
  fold(planes: readonly number[], batches: readonly PackedBatch[], pass: unknown = null): void {
    if (this.failure !== null) return
    let site = planes[0]!
    try {
      planes.forEach((index, plane) => {
        site = index
        const batch = batches[plane]!
        this.foldOne(index, batch)
        const network = this.network
        if (network === null) return
        const started = network.started
        const whole = network.add(index, batch, pass)
        const last = this.sites.length - 1
        this.counters[last]!.calls += network.started - started
        if (whole === null) return
        site = last
        this.counters[last]!.recorded++
        this.foldOne(last, whole)
      })
    } catch (error) {
      this.fail(error, site)
    }
  }

  /** Milliseconds spent in reducers so far, all sites (for the recorder's own share). */
  reduceClock = 0

  private foldOne(index: number, batch: PackedBatch): void {
    const c = this.counters[index]!
    c.rows += batch.rows
    c.nonFinite += batch.nonFinite
    this.retain?.(index, batch)
    const t0 = performance.now()
    try {
      this.reducers.update(this.sites[index]!, this.states[index]!, batch)
    } finally {
      const dt = performance.now() - t0
      c.reduceMs += dt
      this.reduceClock += dt
    }
  }

  /** Stops the stream with `error` (a read failure unless it is already coded). */
  fail(error: unknown, index: number): void {
    if (this.failure !== null) return
    const site = this.sites[index]!
    this.failure =
      error instanceof InstrumentError
        ? error
        : new InstrumentError(
            'RECORD_FAILED',
            `Reading the output of site "${site.id}" failed: ${String(error)}. Recording of this stream ` +
              'has stopped; call reset() to record again, or report the backend and model if it happens again.',
            { cause: error, site: site.id },
          )
    this.onFailure(this.failure)
  }

  /** Throws the stored failure, if any. */
  check(): void {
    if (this.failure !== null) throw this.failure
  }

  /** Results of every site, keyed by site id. */
  results(): Record<string, Record<string, unknown>> {
    this.check()
    const out: Record<string, Record<string, unknown>> = {}
    this.sites.forEach((site, i) => {
      putOwn(out, site.id, this.reducers.results(site, this.states[i]!))
    })
    return out
  }

  /**
   * A deep copy of every site's states that later recording cannot change, keyed by
   * site id. Costs a copy of the states (O(distinct patterns) for a histogram).
   */
  snapshot(): Record<string, Record<string, unknown>> {
    this.check()
    const out: Record<string, Record<string, unknown>> = {}
    this.sites.forEach((site, i) => {
      const states: Record<string, unknown> = {}
      for (const key of this.reducers.keys) putOwn(states, key, cloneState(this.states[i]![key], key, site))
      putOwn(out, site.id, states)
    })
    return out
  }

  /** Copies of the counters, keyed by site id. */
  countersById(): Record<string, SiteCounters> {
    const out: Record<string, SiteCounters> = {}
    this.sites.forEach((site, i) => {
      putOwn(out, site.id, { ...this.counters[i]! })
    })
    return out
  }
}

/** The assembler of the whole-network site, which is the last of `sites`. */
function assembler(sites: readonly Site[], parts: readonly NetworkPart[]): NetworkAssembler {
  const indices = new Map<number, number>()
  parts.forEach((part, p) => {
    indices.set(
      sites.findIndex((s) => s.id === part.id),
      p,
    )
  })
  return new NetworkAssembler(parts, indices, sites[sites.length - 1]!.units)
}

function cloneState(state: unknown, key: string, site: Site): unknown {
  try {
    return structuredClone(state)
  } catch (error) {
    throw new InstrumentError(
      'INVALID_REDUCER',
      `The state of reducer "${key}" at site "${site.id}" cannot be copied (${String(error)}). ` +
        'Reducer states must be plain data: numbers, strings, arrays, plain objects and typed arrays.',
      { cause: error, reducer: key, site: site.id },
    )
  }
}
