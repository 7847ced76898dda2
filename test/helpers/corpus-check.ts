import type { GraphModel } from '@tensorflow/tfjs-converter'
import { instrument, patternHistogram } from '../../src/index.js'
import type { ActivationKind, ReducerMap, Site, SkippedSite } from '../../src/index.js'
import { collect, tf } from './tf.js'

/*
 * One model of the corpus, checked as a new user would run it: instrument with the
 * defaults, one pass, the recorded bits against the same graph executed with the site
 * tensors as outputs, nothing leaked, and a line for the table in docs/models.md.
 */

/** What the check found: the row of the docs table, and what was asserted. */
export interface CorpusRow {
  readonly id: string
  readonly input: string
  readonly sites: number
  readonly kinds: string
  readonly skipped: string
  /** Sites the library cannot size (control flow or inputs of unknown size, no weights to say): refused with MODEL_NOT_BUILT naming them. */
  readonly refused: string
}

interface Internals {
  executor: { graph: { nodes: Record<string, { op: string; name: string; inputs: { op: string; name: string }[]; children: unknown[] }> } }
  inputs: { name: string; shape?: number[]; dtype: string }[]
}

/** Sizes for a model's inputs: batch 1 (or 2 where free), unknown sizes 96 pixels. */
function inputsFor(model: GraphModel, seed: number): { tensors: Record<string, tf.Tensor>; shapes: string } {
  const tensors: Record<string, tf.Tensor> = {}
  const shapes: string[] = []
  for (const input of (model as unknown as Internals).inputs) {
    // inputs of no declared shape are recurrent states and ratios (rvm): scalars, as the package feeds them
    const shape = input.shape === undefined ? [] : input.shape.map((d, i) => (d > 0 ? d : i === 0 ? 2 : 96))
    shapes.push(
      input.shape === undefined
        ? 'scalar'
        : `${input.dtype === 'int32' ? 'int32 ' : ''}[${input.shape.map((d) => (d > 0 ? d : '?')).join(', ')}]`,
    )
    tensors[input.name] =
      input.shape === undefined
        ? tf.scalar(input.name.includes('ratio') ? 0.5 : 0)
        : input.dtype === 'int32'
          ? tf.randomUniformInt(shape, 0, 256, seed)
          : tf.randomUniform(shape, 0, 1, 'float32', seed)
  }
  return { tensors, shapes: shapes.join(', ') }
}

/** Ops through which a tensor keeps its units' on/off state: a site above another through only these is the same units. */
const SAME_UNITS = new Set(['Relu', 'Relu6', 'Maximum', 'Minimum', 'ClipByValue', 'Identity'])

/** Pairs of sites whose bits are the same units: one's tensor reached from the other's through ReLU-family ops only. */
export function sameUnits(model: GraphModel, sites: readonly Site[]): string[] {
  const nodes = (model as unknown as Internals).executor.graph.nodes
  const byTensor = new Map(sites.filter((s) => s.plane === 'sign').map((s) => [s.tensor!.replace(/:0$/, ''), s.id]))
  const pairs: string[] = []
  for (const [tensor, id] of byTensor) {
    let node = nodes[tensor.replace(/:\d+$/, '')]
    while (node !== undefined && SAME_UNITS.has(node.op)) {
      const up = node.inputs.filter((i) => i.op !== 'Const')
      if (up.length !== 1) break
      node = nodes[up[0]!.name]
      const other = node === undefined ? undefined : byTensor.get(node.name)
      if (other !== undefined) pairs.push(`${other} = ${id}`)
    }
  }
  return pairs
}

/**
 * Brute force, written independently of the library's packing: bit u of row r is set
 * where value `r * units + u` is > 0 (or >= `cap`, for a saturation plane), one bit at a time.
 */
function packSigns(
  values: ArrayLike<number>,
  units: number,
  cap: number | null,
): { words: Uint32Array; rows: number; wordsPerRow: number } {
  const wordsPerRow = Math.ceil(units / 32)
  const rows = values.length / units
  const words = new Uint32Array(rows * wordsPerRow)
  for (let r = 0; r < rows; r++) {
    for (let u = 0; u < units; u++) {
      const v = values[r * units + u]!
      if (cap === null ? v > 0 : v >= cap) words[r * wordsPerRow + (u >>> 5)]! |= 1 << (u & 31)
    }
  }
  return { words, rows, wordsPerRow }
}

/** Index of the first word that differs (lengths included), or -1. */
function firstDifference(a: ArrayLike<number>, b: Uint32Array): number {
  const n = Math.max(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i]! >>> 0 !== b[i]) return i
  return -1
}

/** Distinct rows of packed words. */
function distinctRows(words: Uint32Array, wordsPerRow: number): number {
  const seen = new Set<string>()
  for (let at = 0; at < words.length; at += wordsPerRow) seen.add(words.subarray(at, at + wordsPerRow).join(','))
  return seen.size
}

/** Every piecewise-linear kind: the brute-force pass records them all, so opt-in reads are checked too. */
const PIECEWISE: ActivationKind[] = ['relu', 'leakyRelu', 'prelu', 'hardSwish', 'hardSigmoid']

type Expect = (v: unknown, m?: string) => { toEqual(v: unknown): void; toBe(v: unknown): void }

/** A probe on `model`, leaving out (and naming) each site the library refuses with a coded error naming it, as a user would. */
function instrumentAll<M extends ReducerMap>(model: GraphModel, options: { reducers: M; activations?: ActivationKind[] }) {
  const refused: string[] = []
  const excluded = new Set<string>()
  for (;;) {
    try {
      return { probe: instrument(model, { ...options, sites: (s) => !excluded.has(s.id), allowEmpty: true }), refused }
    } catch (error) {
      const site = (error as { site?: string }).site
      if (site === undefined || excluded.has(site)) throw error
      excluded.add(site)
      refused.push(`${site} (${(error as { code?: string }).code})`)
    }
  }
}

const count = (items: readonly string[]): string => {
  const n = new Map<string, number>()
  for (const i of items) n.set(i, (n.get(i) ?? 0) + 1)
  return [...n].map(([k, v]) => `${v} ${k}`).join(', ') || '-'
}

/** Why a form was skipped, in a few words for the table. */
function skipWhy(s: SkippedSite): string {
  if (s.detail.startsWith('A PReLU')) return 'PReLU as ops'
  if (s.detail.startsWith('A LeakyReLU')) return 'LeakyReLU as ops'
  if (s.detail.startsWith('hard-swish')) return 'hard-swish'
  if (s.detail.startsWith('hard-sigmoid')) return 'hard-sigmoid'
  if (s.detail.includes('fuses')) return `fused ${s.detail.split('fuses ')[1]!.split(':')[0]}`
  return `${s.className} (${s.reason})`
}

/**
 * Checks one loaded model: with the defaults, the sites found and the forms skipped (the
 * table's row); with every piecewise-linear kind, one pass recorded against the graph
 * executed with the site tensors as outputs, bit for bit, with distinct counts, no two
 * sites of the same units, and no tensor leaked.
 */
export async function checkCorpusModel(id: string, model: GraphModel, expect: Expect): Promise<CorpusRow> {
  const asyncOnly = Object.values((model as unknown as Internals).executor.graph.nodes).some((n) =>
    ['Enter', 'Switch', 'Merge', 'Exit'].includes(n.op),
  )
  const byDefault = instrumentAll(model, { reducers: {} })
  const row = {
    sites: byDefault.probe.sites.length,
    kinds: count(byDefault.probe.sites.map((s) => s.activation)),
    skipped: count(byDefault.probe.skipped.filter((s) => s.reason !== 'not-selected').map(skipWhy)),
    refused: byDefault.refused.length === 0 ? '-' : byDefault.refused.map((r) => r.replace(/ \(MODEL_NOT_BUILT\)$/, '')).join(', '),
  }
  byDefault.probe.dispose()
  const { probe } = instrumentAll(model, { reducers: { bits: collect(), patterns: patternHistogram() }, activations: PIECEWISE })
  const { tensors, shapes } = inputsFor(model, 7)
  const sites = probe.sites
  const before = tf.memory().numTensors
  tf.dispose(asyncOnly ? await model.executeAsync(tensors) : model.execute(tensors))
  expect(tf.memory().numTensors, `${id}: tensors after an instrumented pass`).toBe(before)
  const results = probe.results()
  probe.dispose()
  const names = sites.map((s) => s.tensor!)
  const want = names.length === 0 ? [] : asyncOnly ? await model.executeAsync(tensors, names) : model.execute(tensors, names)
  const list = Array.isArray(want) ? want : [want]
  sites.forEach((site, i) => {
    const t = list[i]!
    const last =
      site.dataFormat === 'channelsFirst' && t.rank > 2
        ? tf.transpose(t, [0, ...Array.from({ length: t.rank - 2 }, (_, k) => k + 2), 1])
        : t
    const want = packSigns(last.dataSync(), site.units, site.plane === 'saturation' ? Math.fround(site.maxValue!) : null)
    const got = results[site.id]!.bits
    expect(got.rows, `${id}: ${site.id} rows`).toBe(want.rows)
    expect(firstDifference(got.words, want.words), `${id}: ${site.id}: first word that differs from brute force`).toBe(-1)
    expect(results[site.id]!.patterns.distinct, `${id}: ${site.id} distinct`).toBe(distinctRows(want.words, want.wordsPerRow))
    if (last !== t) last.dispose()
  })
  tf.dispose(list)
  tf.dispose(Object.values(tensors))
  expect(sameUnits(model, sites), `${id}: sites that are the same units`).toEqual([])
  return { id, input: shapes, ...row }
}

/** The table's header and one line per model, as docs/models.md has them. */
export const TABLE_HEAD =
  '| model | input | sites | kinds | skipped by default, and why | not sizable (left out) |\n| --- | --- | --- | --- | --- | --- |'
export const tableLine = (r: CorpusRow): string =>
  `| ${r.id} | ${r.input} | ${r.sites} | ${r.kinds} | ${r.skipped} | ${r.refused === '-' ? '-' : r.refused.split(', ').length} |`
