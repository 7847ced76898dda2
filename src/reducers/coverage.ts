/* The coverage reducer: neuron coverage and top-k neuron coverage of the inputs. */
import { InstrumentError } from '../errors.js'
import { type Declaration, check, declareOptions, integer } from '../options.js'
import { type Layout, type Reducer, assertSameLayout, checkLayout, corruptState, isCount } from '../reducer.js'
import { valuesOf } from './dormant.js'

const OPTIONS = /* @__PURE__ */ declareOptions(
  'coverage(options)',
  () =>
    ({
      threshold: { check: check<number>('a number in [0, 1)', (t) => typeof t === 'number' && t >= 0 && t < 1), default: 0.5 },
      topK: { check: integer(1), default: 1 },
    }) satisfies Declaration<CoverageOptions>,
)

/** State of {@link coverage}: which units each criterion has covered so far. */
export interface CoverageState extends Layout {
  threshold: number
  topK: number
  /** Examples seen (each example counts once, whatever its positions). */
  examples: number
  /** Examples left out because an activation was not finite. */
  skipped: number
  /** Per unit, 1 once covered at the threshold (DeepXplore). */
  covered: Uint8Array
  /** Per unit, 1 once among an example's top k (DeepGauge). */
  top: Uint8Array
}

/** Result of {@link coverage}. */
export interface CoverageResult {
  /** What made this result (`result.kind`), so that it is found whatever the reducer is named. */
  kind: 'coverage'
  examples: number
  skipped: number
  units: number
  threshold: number
  topK: number
  /** Units covered at the threshold. */
  covered: number
  /** Neuron coverage: covered / units. */
  coverage: number
  /** Units that were among the top k of some example. */
  topCovered: number
  /** Top-k neuron coverage: topCovered / units. */
  topKCoverage: number
  /** Per unit, 1 where covered at the threshold. */
  coveredUnits: Uint8Array
  /** Per unit, 1 where among the top k of some example. */
  topKUnits: Uint8Array
}

/** Options of {@link coverage}. */
export interface CoverageOptions {
  /** A unit is covered when its min-max scaled activation exceeds this (default 0.5). */
  threshold?: number
  /** How many of each example's most active units count as covered (default 1). */
  topK?: number
}

/**
 * Neuron coverage (Pei et al., DeepXplore, 2017) and top-k neuron coverage (Ma et al.,
 * DeepGauge, 2018) of a site. For each example, the site's activations are min-max
 * scaled over all its values; a unit's value is its mean over the example's positions
 * (a conv channel is one neuron); the unit is covered once that exceeds `threshold`. An
 * example whose values are all equal covers nothing at the threshold. Top-k: the `topK`
 * units with the largest mean value of each example are covered (ties go to the lower
 * unit index). Needs the activation values (`needs: 'values'`). State is O(units).
 *
 * @example
 * ```ts
 * const probe = instrument(model, { reducers: { cov: coverage({ threshold: 0.25, topK: 2 }) } })
 * const r = await probe.measure(testXs)
 * console.log(totalCoverage(r, 'cov').coverage)
 * ```
 */
export function coverage(options?: CoverageOptions): Reducer<CoverageState, CoverageResult> {
  const { threshold, topK } = OPTIONS.parse(options)
  return {
    name: 'coverage',
    spec: { module: 'relu-patterns', factory: 'coverage', options: structuredClone(options ?? {}) },
    needs: 'values',
    init: (layout) => ({
      units: layout.units,
      wordsPerRow: layout.wordsPerRow,
      threshold,
      topK,
      examples: 0,
      skipped: 0,
      covered: new Uint8Array(layout.units),
      top: new Uint8Array(layout.units),
    }),
    update(state, batch) {
      checkState(state)
      checkOptions(state, threshold, topK)
      assertSameLayout(state, batch, 'update coverage')
      const values = valuesOf(batch, 'coverage')
      const { units } = state
      const positions = Math.max(1, batch.positions)
      const means = new Float64Array(units)
      for (let e = 0; e * positions < batch.rows; e++) {
        const from = e * positions * units
        const to = Math.min(batch.rows, (e + 1) * positions) * units
        const rows = (to - from) / units
        let min = Number.POSITIVE_INFINITY
        let max = Number.NEGATIVE_INFINITY
        let finite = true
        means.fill(0)
        for (let i = from; i < to; i++) {
          const v = values[i]!
          if (!Number.isFinite(v)) finite = false
          if (v < min) min = v
          if (v > max) max = v
          const u = (i - from) % units
          means[u] = means[u]! + v
        }
        if (!finite) {
          state.skipped++
          continue
        }
        state.examples++
        for (let u = 0; u < units; u++) means[u]! /= rows
        if (max > min) for (let u = 0; u < units; u++) if ((means[u]! - min) / (max - min) > state.threshold) state.covered[u] = 1
        markTop(means, state.topK, state.top)
      }
      return state
    },
    merge(a, b) {
      checkState(a)
      checkState(b)
      checkOptions(a, threshold, topK)
      checkOptions(b, threshold, topK)
      assertSameLayout(a, b, 'merge coverage states')
      const covered = a.covered.map((c, u) => c | b.covered[u]!)
      const top = a.top.map((c, u) => c | b.top[u]!)
      return { ...a, examples: a.examples + b.examples, skipped: a.skipped + b.skipped, covered, top }
    },
    result(state) {
      checkState(state)
      checkOptions(state, threshold, topK)
      const covered = count(state.covered)
      const topCovered = count(state.top)
      return {
        kind: 'coverage',
        examples: state.examples,
        skipped: state.skipped,
        units: state.units,
        threshold: state.threshold,
        topK: state.topK,
        covered,
        coverage: covered / state.units,
        topCovered,
        topKCoverage: topCovered / state.units,
        coveredUnits: state.covered.slice(),
        topKUnits: state.top.slice(),
      }
    },
  }
}

/** Marks the k largest of `means` (ties to the lower index) in `top`. */
function markTop(means: Float64Array, k: number, top: Uint8Array): void {
  if (k >= means.length) {
    top.fill(1)
    return
  }
  const chosen: number[] = []
  for (let u = 0; u < means.length; u++) {
    if (chosen.length < k) {
      chosen.push(u)
      continue
    }
    // replace the smallest chosen (the latest index among equals) when u is strictly larger
    let low = 0
    for (let j = 1; j < k; j++) {
      const a = means[chosen[j]!]!
      const b = means[chosen[low]!]!
      if (a < b || (a === b && chosen[j]! > chosen[low]!)) low = j
    }
    if (means[u]! > means[chosen[low]!]!) chosen[low] = u
  }
  for (const u of chosen) top[u] = 1
}

/** A state is read only by a coverage() of the same threshold and k. */
function checkOptions(state: CoverageState, threshold: number, topK: number): void {
  if (state.threshold !== threshold || state.topK !== topK) {
    throw new InstrumentError(
      'INVALID_INPUT',
      `This coverage() has threshold ${threshold} and topK ${topK}, but the state was made with threshold ${state.threshold} and topK ${state.topK}. Use a coverage() with the state's options.`,
    )
  }
}

function count(flags: Uint8Array): number {
  let n = 0
  for (const f of flags) n += f
  return n
}

function checkState(state: CoverageState): void {
  checkLayout(state, 'coverage')
  if (!isCount(state.examples) || !isCount(state.skipped)) throw corruptState('coverage', 'examples or skipped is not a count')
  if (!(state.threshold >= 0 && state.threshold < 1) || !Number.isInteger(state.topK) || state.topK < 1)
    throw corruptState('coverage', 'threshold or topK out of range')
  for (const f of [state.covered, state.top]) {
    if (!(f instanceof Uint8Array) || f.length !== state.units || f.some((x) => x > 1))
      throw corruptState('coverage', 'flags are not one 0 or 1 per unit')
    if (state.examples === 0 && f.some((x) => x !== 0)) throw corruptState('coverage', 'units covered by no example')
  }
}

/**
 * Coverage of the whole model from a probe's results: units covered over units, summed
 * over the probe's sign sites (`probe.sites`; the whole-network site and saturation
 * planes repeat other sites' units and are left out).
 *
 * @example
 * ```ts
 * const r = await probe.measure(testXs)
 * const { coverage, topKCoverage } = totalCoverage(r, 'cov', probe.sites)
 * ```
 */
export function totalCoverage(
  results: Readonly<Record<string, Readonly<Record<string, unknown>>>>,
  key: string,
  sites: readonly { readonly id: string; readonly plane: string }[],
): { units: number; covered: number; coverage: number; topCovered: number; topKCoverage: number } {
  if (!Array.isArray(sites))
    throw new InstrumentError('INVALID_OPTION', "totalCoverage(results, key, sites) takes the probe's sites (probe.sites) third.")
  let units = 0
  let covered = 0
  let topCovered = 0
  for (const { id, plane } of sites) {
    if (plane !== 'sign') continue
    const site = Object.hasOwn(results, id) ? results[id] : undefined
    const r = site?.[key] as Partial<CoverageResult> | undefined
    if (r === undefined || typeof r.covered !== 'number' || typeof r.units !== 'number' || typeof r.topCovered !== 'number') {
      throw new InstrumentError('INVALID_INPUT', `totalCoverage: site "${id}" has no coverage() result under "${key}".`)
    }
    units += r.units
    covered += r.covered
    topCovered += r.topCovered
  }
  return { units, covered, coverage: units === 0 ? 0 : covered / units, topCovered, topKCoverage: units === 0 ? 0 : topCovered / units }
}
