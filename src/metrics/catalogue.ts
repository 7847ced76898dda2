/* The one catalogue of metrics: each number's key, the result it comes from, its label, unit, range and meaning. */

/** The kind a built-in result carries (`result.kind`), naming the reducer or comparison that made it. */
export type ResultKind = 'unitStats' | 'patternHistogram' | 'hamming' | 'dormant' | 'coverage' | 'comparison' | 'histogramComparison'

/** One metric: where it is read, and how it is shown. */
export interface MetricInfo {
  /** Its key: the field of the result that holds it, and its key in summaries, series and the report's JSON. */
  readonly key: string
  /** The result that holds it (`'site'` for what the site itself says). */
  readonly kind: ResultKind | 'site'
  /** A short label for a table column. */
  readonly label: string
  /** A title for an axis or a legend, with its unit. */
  readonly title: string
  /** What it means, in a sentence. */
  readonly meaning: string
  /** Its range when bounded (colour scales and axes use it), else null. */
  readonly range: readonly [number, number] | null
  /** True when a higher value is a warning sign (dead units), for colouring. */
  readonly worse?: 'higher' | 'lower'
}

const share = [0, 1] as const

/**
 * Every metric the library reports by name, in the order tables show them. The summary,
 * the report's columns and glossary, the command line tool's JSON, timeline series and
 * chart titles all read it, so a metric has one key, one label and one meaning everywhere.
 *
 * @example
 * ```ts
 * import { METRICS } from 'relu-patterns'
 * for (const m of METRICS) console.log(m.key, '-', m.meaning)
 * ```
 */
export const METRICS: readonly MetricInfo[] = [
  {
    key: 'units',
    kind: 'site',
    label: 'units',
    title: 'units',
    meaning: 'Bits per pattern: channels of a conv site, units of a dense one.',
    range: null,
  },
  {
    key: 'positions',
    kind: 'site',
    label: 'positions',
    title: 'positions',
    meaning: 'Patterns per input: spatial positions of a conv site, 1 for dense.',
    range: null,
  },
  { key: 'rows', kind: 'site', label: 'rows', title: 'patterns seen', meaning: 'Patterns seen: inputs times positions.', range: null },
  {
    key: 'dead',
    kind: 'unitStats',
    label: 'dead',
    title: 'dead units',
    meaning: 'Units never on for any input: they pass nothing on.',
    range: null,
    worse: 'higher',
  },
  {
    key: 'alwaysOn',
    kind: 'unitStats',
    label: 'always on',
    title: 'always-on units',
    meaning: 'Units on for every input: they act linearly.',
    range: null,
    worse: 'higher',
  },
  {
    key: 'meanEntropy',
    kind: 'unitStats',
    label: 'unit H',
    title: 'mean unit entropy (bits)',
    meaning: 'Mean binary entropy of the units in bits: 1 when each unit is on half the time.',
    range: share,
  },
  {
    key: 'distinct',
    kind: 'patternHistogram',
    label: 'distinct',
    title: 'distinct patterns',
    meaning: 'Distinct patterns among all rows, counted exactly.',
    range: null,
  },
  {
    key: 'patternShare',
    kind: 'patternHistogram',
    label: 'distinct / rows',
    title: 'distinct patterns per row',
    meaning: 'Distinct patterns over rows: 1 when every row has its own pattern (the entropy then measures the probe set, not the model).',
    range: share,
  },
  {
    key: 'normalizedEntropy',
    kind: 'patternHistogram',
    label: 'H / Hmax',
    title: 'normalised pattern entropy (H / Hmax)',
    meaning: 'Entropy of the pattern histogram over its maximum min(units, log2 rows), as in Hartmann et al.',
    range: share,
  },
  {
    key: 'topShare',
    kind: 'patternHistogram',
    label: 'top share',
    title: 'share of the most frequent pattern',
    meaning: 'Share of rows with the most frequent pattern.',
    range: share,
    worse: 'higher',
  },
  {
    key: 'meanDistance',
    kind: 'hamming',
    label: 'Hamming',
    title: 'mean Hamming distance (share of units)',
    meaning: 'Mean Hamming distance between patterns of a batch, over units: 0.5 for random patterns.',
    range: share,
  },
  {
    key: 'conditionalEntropy',
    kind: 'patternHistogram',
    label: 'H(A|L)',
    title: 'H(A|L) (bits)',
    meaning: 'Entropy of the patterns within a class, in bits (with labels).',
    range: null,
  },
  {
    key: 'mutualInformation',
    kind: 'patternHistogram',
    label: 'I(A;L)',
    title: 'I(A;L) (bits)',
    meaning: 'Information the patterns carry about the label, in bits (with labels); at most H(L).',
    range: null,
  },
  {
    key: 'nonFinite',
    kind: 'unitStats',
    label: 'non-finite',
    title: 'non-finite activations',
    meaning: 'Activations that were NaN (counted off) or infinite; any is a warning.',
    range: null,
    worse: 'higher',
  },
  {
    key: 'normalizedConditionalEntropy',
    kind: 'patternHistogram',
    label: 'H(A|L) / Hmax',
    title: 'normalised H(A|L)',
    meaning: 'H(A|L) over its maximum.',
    range: share,
  },
  {
    key: 'normalizedMutualInformation',
    kind: 'patternHistogram',
    label: 'I(A;L) / H(L)',
    title: 'normalised I(A;L)',
    meaning: 'I(A;L) over H(L), the most it can be.',
    range: share,
  },
  {
    key: 'dormantShare',
    kind: 'dormant',
    label: 'dormant share',
    title: 'share of dormant units',
    meaning: 'Share of units whose mean |activation| is at most tau times the layer mean (tau-dormant, Sokar et al. 2023).',
    range: share,
    worse: 'higher',
  },
  {
    key: 'coverage',
    kind: 'coverage',
    label: 'coverage',
    title: 'neuron coverage',
    meaning: 'Share of units above the threshold for some input (Pei et al.).',
    range: share,
  },
  {
    key: 'topKCoverage',
    kind: 'coverage',
    label: 'top-k coverage',
    title: 'top-k neuron coverage',
    meaning: 'Share of units among the k most active of their layer for some input (Ma et al.).',
    range: share,
  },
  {
    key: 'flipRate',
    kind: 'comparison',
    label: 'flip rate',
    title: 'flip rate (share of bits)',
    meaning: 'Share of (row, unit) bits that differ between two measurements of the same inputs: 0 the same on/off states, 0.5 unrelated.',
    range: share,
  },
  {
    key: 'rowsChangedShare',
    kind: 'comparison',
    label: 'rows changed',
    title: 'share of patterns changed',
    meaning: 'Share of rows whose whole pattern differs between the two measurements (one bit is enough).',
    range: share,
  },
  {
    key: 'jaccard',
    kind: 'histogramComparison',
    label: 'Jaccard',
    title: 'Jaccard similarity of pattern sets',
    meaning: 'Shared distinct patterns over all distinct patterns of both: 1 the same set, 0 none shared.',
    range: share,
  },
  {
    key: 'weightedJaccard',
    kind: 'histogramComparison',
    label: 'weighted Jaccard',
    title: 'weighted Jaccard similarity',
    meaning: 'Like Jaccard, each pattern weighted by how often it occurs (Σ min / Σ max of the counts): 1 the same histogram, 0 disjoint.',
    range: share,
  },
  {
    key: 'thresholdedJaccard',
    kind: 'histogramComparison',
    label: 'thresholded Jaccard',
    title: 'thresholded Jaccard similarity',
    meaning: 'Jaccard over patterns seen more than the threshold in each histogram.',
    range: share,
  },
  {
    key: 'shareChanged',
    kind: 'histogramComparison',
    label: 'patterns changed',
    title: 'net change in distinct patterns (share)',
    meaning:
      'Distinct patterns gained minus lost, over the current distinct count: the reference\'s "% Patterns Changed" (negative when patterns were lost).',
    range: null,
  },
]

/** The catalogue entry of a metric key, or undefined for a key it does not list. */
export function metricInfo(key: string): MetricInfo | undefined {
  return METRICS.find((m) => m.key === key)
}

/**
 * The title of a timeline metric (`reducer.field` or `vsFinal.field`) for an axis or a
 * legend: the catalogue's title, with the reference it compares against; the name itself
 * for a field the catalogue does not list.
 */
export function metricTitle(metric: string): string {
  const [prefix = '', field = ''] = metric.split('.')
  const info = metricInfo(field === '' ? prefix : field)
  if (info === undefined) return metric
  const against = /^vs(First|Previous|Final|Entry\d+)$/.exec(prefix)?.[1]
  return against === undefined
    ? info.title
    : `${info.title}, vs ${against.startsWith('Entry') ? `entry ${against.slice(5)}` : against.toLowerCase()}`
}

type Loose = Readonly<Record<string, unknown>>

/**
 * The result of the given kind among one site's results (keyed by the user's reducer
 * names), or undefined. Results written before results carried their kind (0.1 files)
 * are recognised by the fields only that kind has.
 */
export function resultOfKind(site: Loose | undefined, kind: ResultKind): Loose | undefined {
  if (site === undefined) return undefined
  const results = Object.values(site).filter((r): r is Loose => typeof r === 'object' && r !== null)
  return results.find((r) => r['kind'] === kind) ?? results.find((r) => r['kind'] === undefined && LEGACY[kind].every((k) => k in r))
}

/** Fields only a result of each kind has, for results without a kind. */
const LEGACY: Readonly<Record<ResultKind, readonly string[]>> = {
  unitStats: ['frequency'],
  patternHistogram: ['distinct', 'normalizedEntropy', 'topCount'],
  hamming: ['meanDistance', 'pairs'],
  dormant: ['dormantShare', 'scores'],
  coverage: ['topKCoverage', 'coveredUnits'],
  comparison: ['flipRate', 'unitFlipRate'],
  histogramComparison: ['weightedJaccard', 'thresholdedJaccard'],
}
