/* The whole-network site: every site's bits of one example joined into one pattern. */
import { orBits } from '../../bits/concat.js'
import { wordsFor } from '../../bits/pack.js'
import { InstrumentError } from '../../errors.js'
import type { PackedBatch } from '../../reducer.js'
import type { Site } from './layers.js'

/** The id of the whole-network site. */
export const NETWORK_ID = 'network'

/** Where one site's bits sit in a whole-network pattern. */
export interface NetworkPart {
  /** The site's id. */
  readonly id: string
  /** First bit of the site's bits in the whole-network pattern. */
  readonly offset: number
  /** Bits per position (the site's units). */
  readonly units: number
  /** Positions per example: the site contributes `positions * units` bits, position by position. */
  readonly positions: number
}

/**
 * The whole-network site over `sites` (every selected site, in order): one pattern per
 * example, the concatenation of the example's patterns at each site (all positions of a
 * conv site, in row order). Throws `INVALID_OPTION` when a site runs more than once per
 * pass or has no fixed number of positions.
 */
export function networkSite(sites: readonly Site[]): { site: Site; parts: NetworkPart[] } {
  const parts: NetworkPart[] = []
  let offset = 0
  for (const s of sites) {
    if (s.id === NETWORK_ID) throw invalid(`a layer is already named "${NETWORK_ID}"; rename it to use the whole-network site.`)
    if (s.nodes !== 1)
      throw invalid(
        `site "${s.id}" runs ${s.nodes} times per forward pass (a shared layer), so an example has no single pattern there; leave it out with the sites option.`,
      )
    if (s.positions === null)
      throw invalid(
        `site "${s.id}" has no fixed spatial size, so its bits have no fixed place; give the model a fixed input shape or leave the site out.`,
      )
    parts.push({ id: s.id, offset, units: s.units, positions: s.positions })
    offset += s.units * s.positions
  }
  if (offset === 0) throw invalid('no site is selected, so there is nothing to concatenate.')
  const site: Site = {
    id: NETWORK_ID,
    layerName: NETWORK_ID,
    className: 'Network',
    activation: 'relu',
    reads: 'output',
    maxValue: null,
    units: offset,
    positions: 1,
    granularity: 'example',
    dataFormat: 'channelsLast',
    path: [],
    nodes: 1,
    plane: 'network',
  }
  return { site, parts }
}

const invalid = (why: string): InstrumentError => new InstrumentError('INVALID_OPTION', `network: true cannot be used: ${why}`)

/**
 * Assembles whole-network patterns from the batches of one pass, site by site. A pass is
 * complete when every part has delivered once for the same pass id and number of
 * examples; a part that delivers again, a new pass id or another example count starts a
 * new pass, and the incomplete one is dropped (counted in `started - completed`).
 */
export class NetworkAssembler {
  started = 0
  completed = 0
  private readonly wordsPerRow: number
  private readonly filled: boolean[]
  private count = 0
  private pass: unknown = undefined
  private examples = -1
  private words = new Uint32Array(0)
  private labels: Int32Array | null = null
  private nonFinite = 0
  private values = new Float32Array(0)
  /** Parts of this pass that came with float values. */
  private valued = 0

  constructor(
    private readonly parts: readonly NetworkPart[],
    /** Index of each part's site in the stream's sites, to find a part from a site. */
    private readonly indices: ReadonlyMap<number, number>,
    private readonly units: number,
  ) {
    this.wordsPerRow = wordsFor(units)
    this.filled = parts.map(() => false)
  }

  /** Adds one site's batch of pass `pass`; returns the whole-network batch once the pass is complete. */
  add(siteIndex: number, batch: PackedBatch, pass: unknown): PackedBatch | null {
    const p = this.indices.get(siteIndex)
    if (p === undefined) return null
    const part = this.parts[p]!
    const examples = batch.rows / part.positions
    if (this.count === 0 || this.filled[p] || pass !== this.pass || examples !== this.examples) this.begin(pass, examples)
    this.filled[p] = true
    this.count++
    this.nonFinite += batch.nonFinite
    const source = wordsFor(part.units)
    for (let e = 0; e < examples; e++) {
      for (let q = 0; q < part.positions; q++) {
        const row = e * part.positions + q
        orBits(batch.words, row * source, part.units, this.words, e * this.wordsPerRow * 32 + part.offset + q * part.units)
      }
    }
    if (batch.values !== undefined) {
      const need = examples * this.units
      if (this.values.length < need) {
        const grown = new Float32Array(need)
        grown.set(this.values.subarray(0, Math.min(this.values.length, need)))
        this.values = grown
      }
      const span = part.units * part.positions
      for (let e = 0; e < examples; e++) this.values.set(batch.values.subarray(e * span, (e + 1) * span), e * this.units + part.offset)
      this.valued++
    }
    if (this.labels === null && batch.labels !== null) {
      this.labels = new Int32Array(examples)
      for (let e = 0; e < examples; e++) this.labels[e] = batch.labels[e * part.positions]!
    }
    if (this.count < this.parts.length) return null
    this.completed++
    const done: PackedBatch = {
      words: this.words.subarray(0, examples * this.wordsPerRow),
      rows: examples,
      units: this.units,
      wordsPerRow: this.wordsPerRow,
      nonFinite: this.nonFinite,
      positions: 1,
      labels: this.labels,
      ...(this.valued === this.parts.length ? { values: this.values.subarray(0, examples * this.units) } : {}),
    }
    this.count = 0
    return done
  }

  private begin(pass: unknown, examples: number): void {
    this.started++
    this.pass = pass
    this.examples = examples
    this.count = 0
    this.filled.fill(false)
    this.nonFinite = 0
    this.valued = 0
    this.labels = null
    const need = examples * this.wordsPerRow
    if (this.words.length < need) this.words = new Uint32Array(need)
    this.words.fill(0, 0, need)
  }
}

/** Rows of one site, as `capture` and `measurePatterns` keep them. */
interface SiteRows {
  readonly words: Uint32Array
  readonly wordsPerRow: number
  readonly rows: number
}

/**
 * Writes the whole-network pattern of each of `examples` examples (rows `at` onward of
 * `out`, `wordsPerRow` words each, zeroed here) from the rows each part's site recorded.
 * Throws `RECORD_FAILED` if a site recorded another number of rows than the parts say.
 */
export function joinPatterns(
  rows: Readonly<Record<string, SiteRows>>,
  parts: readonly NetworkPart[],
  examples: number,
  out: Uint32Array,
  at: number,
  wordsPerRow: number,
): void {
  out.fill(0, at * wordsPerRow, (at + examples) * wordsPerRow)
  for (const part of parts) {
    const site = rows[part.id]
    if (site === undefined || site.rows !== examples * part.positions) {
      throw new InstrumentError(
        'RECORD_FAILED',
        `Site "${part.id}" recorded ${site?.rows ?? 0} patterns for ${examples} examples of ${part.positions} positions; ` +
          'the whole-network pattern needs exactly one pass of the model.',
        { site: part.id },
      )
    }
    for (let e = 0; e < examples; e++) {
      for (let q = 0; q < part.positions; q++) {
        orBits(
          site.words,
          (e * part.positions + q) * site.wordsPerRow,
          part.units,
          out,
          (at + e) * wordsPerRow * 32 + part.offset + q * part.units,
        )
      }
    }
  }
}
