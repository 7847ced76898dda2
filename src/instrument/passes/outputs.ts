/* A model's outputs: their names, the one that gives the class, the layers it depends on, each example's predicted class. */
import { any, argMax, isNaN as isNaNOp, tidy } from '@tensorflow/tfjs-core'
import { InstrumentError } from '../../errors.js'
import { isTensor } from './forward.js'
import type { Site } from '../sites/layers.js'

/** What a model says about its outputs: a layers model's `outputNames`, a graph model's `outputNodes`, `outputs`, signature and structured keys. */
interface OutputsOf {
  readonly outputNames?: readonly string[]
  readonly outputNodes?: readonly string[]
  readonly outputs?: readonly { readonly name?: string }[]
  /** A graph model's signature: per output key, its shape (`dim[i].size` as text, -1 for any). */
  readonly modelSignature?: {
    readonly outputs?: Readonly<Record<string, { tensorShape?: { dim?: readonly { size?: string | number }[] } }>>
  }
  /** Set when a graph model returns its outputs as a map by these keys, in output order. */
  readonly structuredOutputKeys?: readonly string[] | null
}

/** The names each output answers to, in the order the model returns its outputs. */
export function outputNames(model: object): string[][] {
  const m = model as OutputsOf
  if (m.outputNodes === undefined) return (m.outputNames ?? []).map((name) => [name])
  // a graph model: its signature's key, the node that computes it, and the key of a structured output
  return m.outputNodes.map(
    (name, i) =>
      [...new Set([name, m.outputs?.[i]?.name, m.structuredOutputKeys?.[i]].filter((n) => n !== undefined && n !== null))] as string[],
  )
}

/** The width of a graph model's output `index` as its signature declares `[examples, width]`, or null. */
export function signatureWidth(model: object, index: number): number | null {
  const m = model as OutputsOf
  const key = m.outputNodes?.[index]
  const dims = key === undefined ? undefined : m.modelSignature?.outputs?.[key]?.tensorShape?.dim
  if (dims?.length !== 2) return null
  const width = Number(dims[1]?.size)
  return Number.isInteger(width) && width > 0 ? width : null
}

/**
 * The index of the output that gives the class: `output` as an index into the model's
 * outputs or as one of their names (a layers model's `outputNames`, a graph model's
 * `outputNodes`, `outputs[i].name` or structured output keys); the first output when it
 * is undefined. A name two outputs answer to is refused.
 */
export function outputIndex(model: object, output: number | string | undefined, where: string): number {
  if (output === undefined) return 0
  const names = outputNames(model)
  const list = names.map((n, i) => `${i} (${n.map((s) => JSON.stringify(s)).join(' or ')})`).join(', ')
  const matches = typeof output === 'number' ? [output] : names.flatMap((n, i) => (n.includes(output) ? [i] : []))
  if (matches.length > 1)
    throw new InstrumentError(
      'INVALID_OPTION',
      `${where}: outputs ${matches.join(' and ')} are both named ${JSON.stringify(output)}; give the index.`,
    )
  const index = matches[0] ?? -1
  if (!Number.isInteger(index) || index < 0 || (names.length > 0 && index >= names.length) || (names.length === 0 && index > 0)) {
    throw new InstrumentError(
      'INVALID_OPTION',
      `${where}: output ${JSON.stringify(output)} is not an output of this model. Its outputs are ${list || 'one, unnamed (0)'}.`,
    )
  }
  return index
}

/** What the model returned, as a list in output order (a structured map by its keys' order). */
function outputList(output: unknown): unknown[] {
  if (Array.isArray(output)) return output
  if (isTensor(output) || typeof output !== 'object' || output === null) return [output]
  return Object.values(output)
}

/**
 * Each example's predicted class, the index of the largest value of output `index` of what
 * the model returned, and the number of classes (that output's width). The output must
 * be `[examples, classes]` with at least two classes: a single score (a sigmoid, a
 * regression) names no class; an example whose scores are not all numbers has no class.
 */
export function predictedClasses(output: unknown, index = 0): { classes: Int32Array; width: number } {
  const list = outputList(output)
  const chosen = list[index]
  const which = list.length > 1 || index > 0 ? `output ${index}` : 'the output'
  if (chosen === undefined) {
    throw new InstrumentError('INVALID_INPUT', `predictions: the model returned ${list.length} output(s), so it has no output ${index}.`)
  }
  if (!isTensor(chosen) || chosen.rank !== 2) {
    const shape = isTensor(chosen) ? `[${chosen.shape.join(', ')}]` : 'not a tensor'
    throw new InstrumentError(
      'INVALID_INPUT',
      `predictions need ${which} to be [examples, classes]; it is ${shape}. Choose the classifying output with { output }.`,
    )
  }
  const width = chosen.shape[1]!
  if (width < 2) {
    throw new InstrumentError(
      'INVALID_INPUT',
      `predictions need ${which} to give one score per class; it gives ${width}, which names no class (a sigmoid or a regression). ` +
        'Choose another output with { output }.',
    )
  }
  const [classes, nan] = tidy(() => [argMax(chosen, -1).dataSync() as Int32Array, any(isNaNOp(chosen)).dataSync()[0]] as const)
  if (nan) throw new InstrumentError('INVALID_INPUT', `predictions: ${which} has NaN scores, which name no class. Check the model's input.`)
  return { classes: classes.slice(), width }
}

/** A symbolic tensor of a layers model: the layer and call that made it. */
interface SymbolicLike {
  readonly sourceLayer?: {
    readonly name: string
    readonly inboundNodes?: readonly { readonly inputTensors?: readonly SymbolicLike[] }[]
    /** A nested model's own layers and outputs. */
    readonly layers?: readonly unknown[]
    readonly outputs?: readonly unknown[]
  }
  readonly nodeIndex?: number
}

/** A graph model's nodes, as its executor holds them. */
interface GraphNodeLike {
  readonly name: string
  readonly inputs?: readonly GraphNodeLike[]
}

/**
 * Names of the layers (layers model, top level) or nodes (graph model) output `index`
 * depends on; null when the model does not say, or when a nested model with several
 * outputs lies on the way (its sites cannot be told apart by output from outside).
 */
function ancestors(model: object, index: number): Set<string> | null {
  const seen = new Set<string>()
  const graph = (model as { executor?: { graph?: { nodes?: Record<string, GraphNodeLike> } } }).executor?.graph?.nodes
  if (graph !== undefined) {
    const name = (model as OutputsOf).outputs?.[index]?.name
    const start = name === undefined ? undefined : graph[name.replace(/:\d+$/, '')]
    if (start === undefined) return null
    const stack: GraphNodeLike[] = [start]
    for (let n = stack.pop(); n !== undefined; n = stack.pop()) {
      if (seen.has(n.name)) continue
      seen.add(n.name)
      stack.push(...(n.inputs ?? []))
    }
    return seen
  }
  const out = (model as { outputs?: readonly SymbolicLike[] }).outputs?.[index]
  if (out?.sourceLayer === undefined) return null
  const stack: SymbolicLike[] = [out]
  for (let t = stack.pop(); t !== undefined; t = stack.pop()) {
    const layer = t.sourceLayer
    if (layer === undefined) continue
    if (Array.isArray(layer.layers) && (layer.outputs?.length ?? 1) > 1) return null
    const key = `${layer.name}#${t.nodeIndex ?? 0}`
    if (seen.has(key)) continue
    seen.add(key)
    seen.add(layer.name)
    stack.push(...(layer.inboundNodes?.[t.nodeIndex ?? 0]?.inputTensors ?? []))
  }
  return seen
}

/**
 * The sites output `index` depends on, in the order given: a site of another head of a
 * multi-output model is left out. When the model does not say, all of them for a model
 * with one output; for a model with several, `INVALID_OPTION` asking for the sites by id.
 */
export function sitesOfOutput<S extends Pick<Site, 'layerName' | 'path'>>(
  model: object,
  index: number,
  sites: readonly S[],
  where: string,
): S[] {
  const before = ancestors(model, index)
  if (before !== null) return sites.filter((s) => before.has(s.path[0] ?? s.layerName))
  if (outputNames(model).length > 1)
    throw new InstrumentError(
      'INVALID_OPTION',
      `${where}: cannot tell which sites output ${index} depends on (a nested model with several outputs is on its way); name them with { sites }.`,
    )
  return [...sites]
}
