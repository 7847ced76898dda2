import { InstrumentError } from '../errors.js'
import type { ReducerMap } from '../reducer.js'
import type { FoundSite, Granularity, Site } from './sites.js'

/** Which forward passes the taps record. */
export type Passes = 'training' | 'inference' | 'all'

/** Options of {@link instrument}. */
export interface InstrumentOptions<M extends ReducerMap> {
  /** Named reducers run at every site (default `{ units: unitStats(), patterns: patternHistogram() }`). */
  reducers?: M
  /** Site ids to record, or a predicate; default every ReLU site. An unknown id is an error. */
  sites?: readonly string[] | ((site: Site) => boolean)
  /** Record training passes, inference passes, or both (default `'all'`). `measure()` ignores this. */
  passes?: Passes
  /**
   * `'position'` (default): for conv layers, one pattern of C channel bits per spatial
   * position, as in Hartmann et al.; `'example'`: one pattern of all H*W*C bits per example.
   */
  granularity?: Granularity
  /** Record every k-th forward call of each site, starting with the first (default 1). `measure()` ignores this. */
  every?: number
  /**
   * Also record, for every capped site (relu6, `ReLU` with `maxValue`), a second bit plane
   * marking units at the cap, as site `<id>:saturated`. A capped unit then has three
   * states: off (sign 0), linear (sign 1, saturated 0) and saturated (sign 1, saturated 1).
   */
  saturation?: boolean
  /**
   * How outputs are read. `'sync'`: read in the forward pass and packed in JavaScript
   * (cpu, wasm). `'async'`: packed into words on the device and read after the step
   * without stalling it (GPU backends); reducers then update when reads complete, so call
   * `await probe.flush()` before `results()`. `'auto'` (default): async on webgl and
   * webgpu, sync elsewhere.
   */
  read?: 'auto' | 'sync' | 'async'
  /** Allow a model without ReLU sites (the probe then records nothing). */
  allowEmpty?: boolean
  /** Called once when a reducer throws during recording; recording stops until `reset()`. */
  onError?: (error: InstrumentError) => void
}

export interface ResolvedOptions {
  read: 'auto' | 'sync' | 'async'
  granularity: Granularity
  saturation: boolean
  passes: Passes
  every: number
  allowEmpty: boolean
  onError: ((error: InstrumentError) => void) | undefined
  select: (sites: FoundSite[]) => FoundSite[]
}

const bad = (message: string): InstrumentError => new InstrumentError('INVALID_OPTION', message)

/** Validates options before anything touches the model. */
export function resolveOptions<M extends ReducerMap>(options: InstrumentOptions<M>): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw bad('instrument(model, options) takes an options object.')
  const granularity = options.granularity ?? 'position'
  if (granularity !== 'position' && granularity !== 'example') {
    throw bad(`granularity must be 'position' or 'example', not ${JSON.stringify(granularity)}.`)
  }
  const passes = options.passes ?? 'all'
  if (passes !== 'all' && passes !== 'training' && passes !== 'inference') {
    throw bad(`passes must be 'training', 'inference' or 'all', not ${JSON.stringify(passes)}.`)
  }
  const every = options.every ?? 1
  if (!Number.isInteger(every) || every < 1) {
    throw bad(`every must be a positive integer (record every k-th pass), not ${String(every)}.`)
  }
  if (options.reducers !== undefined && (typeof options.reducers !== 'object' || options.reducers === null)) {
    throw bad('reducers must be a record of named reducers, e.g. { units: unitStats() }.')
  }
  if (options.onError !== undefined && typeof options.onError !== 'function') {
    throw bad('onError must be a function.')
  }
  const sites = options.sites
  const select = (found: FoundSite[]): FoundSite[] => {
    if (sites === undefined) return found
    if (typeof sites === 'function') return found.filter((f) => sites(f.site))
    if (!Array.isArray(sites)) throw bad('sites must be an array of site ids or a predicate.')
    const ids = new Set(found.map((f) => f.site.id))
    const unknown = sites.filter((id) => !ids.has(id))
    if (unknown.length > 0) {
      throw new InstrumentError(
        'UNKNOWN_SITE',
        `No ReLU site with id ${unknown.map((u) => JSON.stringify(u)).join(', ')}. ` +
          `Sites of this model: ${[...ids].join(', ') || '(none)'}.`,
        { site: String(unknown[0]) },
      )
    }
    const wanted = new Set(sites)
    return found.filter((f) => wanted.has(f.site.id))
  }
  if (options.saturation !== undefined && typeof options.saturation !== 'boolean') {
    throw bad('saturation must be true or false.')
  }
  const read = options.read ?? 'auto'
  if (read !== 'auto' && read !== 'sync' && read !== 'async') {
    throw bad(`read must be 'auto', 'sync' or 'async', not ${JSON.stringify(read)}.`)
  }
  return { read, granularity, saturation: options.saturation === true, passes, every, allowEmpty: options.allowEmpty === true, onError: options.onError, select }
}
