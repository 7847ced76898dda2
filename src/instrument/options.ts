/* The options of instrument and measure: their interfaces, declarations, and what they resolve to. */
import type { Tensor } from '@tensorflow/tfjs-core'
import { InstrumentError } from '../errors.js'
import {
  type Check,
  type Declaration,
  boolean,
  check,
  declareOptions,
  either,
  fn,
  integer,
  later,
  oneOf,
  string,
  strings,
} from '../options.js'
import { type ReducerMap, assertReducer } from '../reducer.js'
import type { ReadMode } from '../record/reader.js'
import { ACTIVATION_KINDS, type ActivationKind } from './sites/kinds.js'
import { type DataFormat, type FoundSite, type Granularity, STANDALONE, type Site } from './sites/layers.js'

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
  /**
   * Which axis of a standalone `ReLU` / `Activation` layer's output holds the channels,
   * for all of them (`'channelsLast'` or `'channelsFirst'`) or by site id. Needed only
   * when it cannot be inferred from the layers before it (see `DATA_FORMAT_UNKNOWN`);
   * convolutions say it in their own config. For graph models, by site id it overrides
   * what the graph says, and for all it applies to the sites the graph says nothing of.
   */
  dataFormat?: DataFormat | Record<string, DataFormat>
  /**
   * Kinds of activation recorded (default `['relu']`: relu, relu6 and capped ReLUs).
   * Opt-in: `'leakyRelu'`, `'prelu'`, `'elu'`, `'selu'`, `'gelu'`, `'swish'`, `'mish'`, and in
   * graph models `'hardSwish'`, `'hardSigmoid'`; the
   * pattern is the sign of the activation's input (`site.reads` says which tensor is read).
   */
  activations?: readonly ActivationKind[]
  /**
   * Also record the whole-network site, id `network`: one pattern per example, the
   * concatenation of that example's patterns at every selected site, in site order (all
   * positions of a conv site). Its distinct count is the number of activation regions the
   * inputs visit. `probe.network` says where each site's bits sit. Default false.
   */
  network?: boolean
  /**
   * Read the float activations behind the bits at every site, as for a reducer that
   * declares `needs: 'values'`, so that `measurePatterns(x, { values: true })` can keep each
   * example's mean activations (the value detectors' features). Reads become synchronous
   * on GPU backends. Default false (true anyway when a reducer needs the values).
   */
  values?: boolean
  /** Allow a model without ReLU sites, or a `sites` selection that matches none (the probe then records nothing). */
  allowEmpty?: boolean
  /**
   * Called once when recording into the training stream fails (a reducer threw, a read
   * failed); that stream stops until `reset()`. Anything the handler throws is caught
   * (and passed to `reportError` where the runtime has it, else to `console.error`): it never reaches the training loop.
   */
  onError?: (error: InstrumentError) => void
}

const FORMATS: readonly unknown[] = ['channelsLast', 'channelsFirst']
const isFormat = (f: unknown): boolean => FORMATS.includes(f)

/** The declaration of {@link InstrumentOptions}: keys, defaults and checks. */
export const INSTRUMENT_OPTIONS = /* @__PURE__ */ declareOptions(
  'instrument(model, options)',
  () =>
    ({
      reducers: {
        check: check('a plain record of named reducers, e.g. { units: unitStats() }', (r) => typeof r === 'object' && r !== null),
      },
      sites: { check: either(strings, fn<(site: Site) => boolean>()) },
      passes: { check: oneOf(['training', 'inference', 'all']), default: 'all' },
      granularity: { check: oneOf(['position', 'example']), default: 'position' },
      every: { check: integer(1), default: 1 },
      saturation: { check: boolean, default: false },
      read: { check: oneOf(['auto', 'sync', 'async']), default: 'auto' },
      dataFormat: {
        check: check(
          "'channelsLast', 'channelsFirst', or a record of those by site id",
          (f) => isFormat(f) || (typeof f === 'object' && f !== null && !Array.isArray(f) && Object.values(f).every(isFormat)),
        ),
      },
      activations: {
        check: check(
          `a non-empty array of ${ACTIVATION_KINDS.map((k) => `'${k}'`).join(', ')}`,
          (k) => Array.isArray(k) && k.length > 0 && k.every((x) => ACTIVATION_KINDS.includes(x as ActivationKind)),
        ),
      },
      network: { check: boolean, default: false },
      values: { check: boolean, default: false },
      allowEmpty: { check: boolean, default: false },
      onError: { check: fn() },
    }) satisfies Declaration<InstrumentOptions<ReducerMap>>,
  { required: true },
)

/** Keys of {@link InstrumentOptions} (checked against the guide's options table by a test). */
export const INSTRUMENT_KEYS = INSTRUMENT_OPTIONS.keys

export interface ResolvedOptions {
  read: ReadMode
  granularity: Granularity
  saturation: boolean
  network: boolean
  values: boolean
  passes: Passes
  every: number
  allowEmpty: boolean
  onError: ((error: InstrumentError) => void) | undefined
  dataFormat: DataFormat | Readonly<Record<string, DataFormat>> | undefined
  activations: ReadonlySet<ActivationKind>
  select: (sites: FoundSite[]) => FoundSite[]
}

const bad = (message: string): InstrumentError => new InstrumentError('INVALID_OPTION', message)

/** Validates options before anything touches the model. */
export function resolveOptions<M extends ReducerMap>(options: InstrumentOptions<M>): ResolvedOptions {
  const o = INSTRUMENT_OPTIONS.parse(options)
  if (o.reducers !== undefined) checkReducers(o.reducers)
  return {
    ...o,
    onError: o.onError,
    dataFormat: o.dataFormat,
    activations: new Set(o.activations ?? ['relu']),
    select: selector(o.sites),
  }
}

/** The `sites` option as a filter over found sites; an unknown id is `UNKNOWN_SITE`. */
function selector(sites: InstrumentOptions<ReducerMap>['sites']): (found: FoundSite[]) => FoundSite[] {
  return (found) => {
    if (sites === undefined) return found
    if (typeof sites === 'function') {
      return found.filter((f) => {
        try {
          return Boolean(sites(f.site))
        } catch (error) {
          throw new InstrumentError('INVALID_OPTION', `The sites predicate threw at site "${f.site.id}": ${String(error)}.`, {
            cause: error,
            site: f.site.id,
          })
        }
      })
    }
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
}

/** Throws unless `reducers` is a plain record of reducers. */
function checkReducers(reducers: unknown): void {
  const proto = typeof reducers === 'object' && reducers !== null ? (Object.getPrototypeOf(reducers) as unknown) : undefined
  if (proto !== Object.prototype && proto !== null) {
    throw bad(
      'reducers must be a plain record of named reducers, e.g. { units: unitStats() }. (A `__proto__` key in an ' +
        'object literal sets its prototype instead of naming a reducer; choose another name.)',
    )
  }
  for (const [key, r] of Object.entries(reducers as object)) assertReducer(key, r)
}

/**
 * Throws unless every site id named in a `dataFormat` record is a standalone ReLU or
 * Activation site of the model (a convolution's format is its own config), or any site of a graph model.
 */
export function checkFormatIds(format: ResolvedOptions['dataFormat'], found: readonly FoundSite[], graph = false): void {
  if (format === undefined || typeof format === 'string') return
  for (const id of Object.keys(format)) {
    const f = found.find((s) => s.site.id === id)
    if (f === undefined) {
      throw new InstrumentError('UNKNOWN_SITE', `dataFormat names ${JSON.stringify(id)}, which is not a ReLU site of this model.`, {
        site: id,
      })
    }
    if (!graph && !STANDALONE.has(f.site.className)) {
      throw bad(
        `dataFormat names "${id}", a ${f.site.className} layer, whose channel axis is its own config; name only activation layers (ReLU, Activation, LeakyReLU, PReLU, ELU).`,
      )
    }
  }
}

/** Options of {@link Probe.measure}. */
export interface MeasureOptions {
  /** Examples per forward pass (default 128). Results do not depend on it. */
  batchSize?: number
  /**
   * Run in training mode: dropout active, batch normalisation normalising with each
   * batch's own statistics (the protocol of Hartmann et al.). The moving statistics that
   * batch normalisation updates in training mode are restored after every batch, so the
   * model is unchanged; results then depend on `batchSize`. Default false.
   */
  training?: boolean
  /**
   * One integer label per example, in input order (array, typed array or 1-D tensor).
   * Reducers receive them per row (a conv example's label applies to each of its
   * positions); `patternHistogram` then reports H(A|L) and I(A;L).
   */
  labels?: ArrayLike<number> | Tensor
}

/** Options of {@link Probe.measurePatterns}: those of `measure`, and predictions. */
export interface MeasurePatternsOptions extends MeasureOptions {
  /**
   * Also keep each example's predicted class: the index of the largest value of the
   * model's (first) output, which must be `[examples, classes]`. Default false.
   */
  predictions?: boolean
  /**
   * Also keep, per site, each example's activations averaged over its positions (a dense
   * site's values as they are; a conv site's global average per channel): `m.values[id]`,
   * `examples * units` float32 values. The probe must read values (instrument with
   * `values: true`, or a reducer that needs them); `INVALID_OPTION` otherwise. Default false.
   */
  values?: boolean
  /**
   * With `predictions`: the output that gives the class, as an index into the model's
   * outputs or one of their names (a layers model's `outputNames`, a graph model's
   * `outputNodes` or `outputs[i].name`). It must be `[examples, classes]` with at least two
   * classes. Default: the first output.
   */
  output?: number | string
}

/** The declaration of {@link MeasureOptions}: keys, defaults and checks. */
export const MEASURE_OPTIONS = /* @__PURE__ */ declareOptions(
  'probe.measure(x, options)',
  () =>
    ({
      batchSize: { check: integer(1), default: 128 },
      training: { check: boolean, default: false },
      labels: { check: later('one integer label per example') },
    }) satisfies Declaration<MeasureOptions>,
)

/** An output of the model, by index or name. */
export const outputChoice: Check<number | string> = /* @__PURE__ */ either(integer(0), string)

/** The declaration of {@link MeasurePatternsOptions}. */
export const MEASURE_PATTERNS_OPTIONS = /* @__PURE__ */ declareOptions(
  'probe.measurePatterns(x, options)',
  () =>
    ({
      ...MEASURE_OPTIONS.fields,
      predictions: { check: boolean, default: false },
      values: { check: boolean, default: false },
      output: { check: outputChoice },
    }) satisfies Declaration<MeasurePatternsOptions>,
)
