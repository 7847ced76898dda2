/* Feature vectors as the value detectors take them: the type and its check. */
import { InstrumentError } from '../errors.js'

/**
 * Feature vectors, one per example: at each site in `sites`, the example's activations
 * averaged over the site's positions (a dense site's values as they are, a conv site's
 * global average per channel), concatenated in site order.
 */
export interface Features {
  readonly examples: number
  /** Values per example: the sum of the sites' units. */
  readonly dims: number
  /** `examples * dims` values, example by example. */
  readonly values: Float32Array
  /** Where each site's units sit in a vector. */
  readonly sites: readonly { readonly id: string; readonly units: number; readonly offset: number }[]
  /** Per example, the model's predicted class, when the pass kept it. */
  readonly predictions?: Int32Array
}

/** Throws `INVALID_INPUT` unless `f` is Features of at least `min` examples (`where` names the call). */
export function checkFeatures(f: Features, where: string, min = 0): void {
  const ok =
    f !== null &&
    typeof f === 'object' &&
    f.values instanceof Float32Array &&
    Number.isInteger(f.examples) &&
    f.examples >= min &&
    Number.isInteger(f.dims) &&
    f.dims >= 1 &&
    f.values.length === f.examples * f.dims &&
    Array.isArray(f.sites) &&
    f.sites.every(
      (s) => Number.isInteger(s?.units) && s.units >= 1 && Number.isInteger(s.offset) && s.offset >= 0 && s.offset + s.units <= f.dims,
    )
  if (!ok)
    throw new InstrumentError(
      'INVALID_INPUT',
      `${where} takes Features${min > 0 ? ` of at least ${min} example` : ''} (from measureFeatures or featuresOf): values of examples * dims floats, and sites within dims.`,
    )
}
