/* The one error class, InstrumentError, its stable codes, and how uncaught handler errors are reported. */
/**
 * Stable error codes. Codes are API and never change meaning; message text may improve.
 *
 * - `NOT_A_MODEL`: `instrument` was given something that is not a layers model or a loaded graph model.
 * - `MODEL_NOT_BUILT`: a layer's output shape is unknown (a Sequential without `inputShape`).
 * - `NO_RELU_SITES`: the model has no ReLU site and `allowEmpty` was not set.
 * - `NO_SITES_SELECTED`: the model has ReLU sites but the `sites` option selected none.
 * - `DATA_FORMAT_UNKNOWN`: the channel axis of a site's output cannot be known; pass `dataFormat` (or, when a graph transposes the batch off axis 0, leave the site out).
 * - `ALREADY_INSTRUMENTED`: the model, or one of its layers, is already tapped by a live probe.
 * - `DISPOSED`: a probe was used after `dispose()`.
 * - `UNKNOWN_SITE`: an option named a site id that the model does not have.
 * - `INVALID_OPTION`: an option has the wrong type or value.
 * - `INVALID_REDUCER`: a reducer does not follow the reducer contract.
 * - `REDUCER_FAILED`: a reducer threw; `cause` is what it threw, `reducer` its name.
 * - `RECORD_FAILED`: reading or packing a site's output failed; `cause` says why.
 * - `INVALID_INPUT`: `measure` (or `serialize`) was given data it cannot use.
 * - `LAYOUT_MISMATCH`: states or batches of different layouts were combined.
 * - `INPUT_MISMATCH`: two measurements compared were not made on the same inputs.
 * - `MODEL_MISMATCH`: two measurements compared come from models with different sites.
 * - `CORRUPT_DATA`: serialised data is damaged or is not ours.
 * - `UNSUPPORTED_VERSION`: serialised data was written by an incompatible version.
 * - `MISSING_PEER`: a feature needs an optional peer package that is not installed; the message names it.
 */
export type InstrumentErrorCode =
  | 'NOT_A_MODEL'
  | 'MODEL_NOT_BUILT'
  | 'NO_RELU_SITES'
  | 'NO_SITES_SELECTED'
  | 'DATA_FORMAT_UNKNOWN'
  | 'ALREADY_INSTRUMENTED'
  | 'DISPOSED'
  | 'UNKNOWN_SITE'
  | 'INVALID_OPTION'
  | 'INVALID_REDUCER'
  | 'REDUCER_FAILED'
  | 'RECORD_FAILED'
  | 'INVALID_INPUT'
  | 'LAYOUT_MISMATCH'
  | 'INPUT_MISMATCH'
  | 'MODEL_MISMATCH'
  | 'CORRUPT_DATA'
  | 'UNSUPPORTED_VERSION'
  | 'MISSING_PEER'

/** Marks errors of every copy of the library (see `InstrumentError[Symbol.hasInstance]`). */
const ERROR_BRAND = Symbol.for('relu-patterns.InstrumentError')

/** Extra facts attached to an {@link InstrumentError}. */
export interface InstrumentErrorDetails {
  /** The original error, when one was caught. */
  cause?: unknown
  /** Name (key) of the reducer involved, for `REDUCER_FAILED`. */
  reducer?: string
  /** Id of the site involved, where there is one. */
  site?: string
  /** For `NO_RELU_SITES`: the ReLU-family layers or nodes seen but not recorded, with why. */
  skipped?: readonly { readonly id: string; readonly reason: string }[]
}

/**
 * The one error class of the library. Tell errors apart by `code`, never by message.
 *
 * @example
 * ```ts
 * try {
 *   instrument(model)
 * } catch (error) {
 *   if (error instanceof InstrumentError && error.code === 'NO_RELU_SITES') {
 *     console.log('nothing to watch in this model')
 *   }
 * }
 * ```
 */
export class InstrumentError extends Error {
  /**
   * True for an error made by any copy of this class: an ES module and a CommonJS copy of
   * the library, or two bundles, each have their own class, and `instanceof` must still hold.
   */
  static override [Symbol.hasInstance](x: unknown): boolean {
    return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[ERROR_BRAND] === true
  }

  /** Stable, machine-readable reason. */
  readonly code: InstrumentErrorCode
  /** Name of the failing reducer, for `REDUCER_FAILED`. */
  readonly reducer: string | undefined
  /** Id of the site involved, where there is one. */
  readonly site: string | undefined
  /** For `NO_RELU_SITES`: what was seen but not recorded, with why (empty when nothing was). */
  readonly skipped: readonly { readonly id: string; readonly reason: string }[] | undefined

  constructor(code: InstrumentErrorCode, message: string, details: InstrumentErrorDetails = {}) {
    super(message, 'cause' in details ? { cause: details.cause } : undefined)
    this.name = 'InstrumentError'
    this.code = code
    this.reducer = details.reducer
    this.site = details.site
    this.skipped = details.skipped
    Object.defineProperty(this, ERROR_BRAND, { value: true })
  }
}

/**
 * Hands an error nobody can receive (thrown by a user's callback, or met after the call
 * that caused it returned) to the runtime's `reportError` where there is one (browsers:
 * the console and `error` listeners), else to `console.error` (Node); never throws.
 */
export function reportUncaught(error: unknown): void {
  try {
    const report = (globalThis as { reportError?: (e: unknown) => void }).reportError
    // Node has no reportError: the error is printed, never dropped in silence
    if (typeof report === 'function') report(error)
    else console.error(error)
  } catch {
    // nothing may reach the code that was running
  }
}
