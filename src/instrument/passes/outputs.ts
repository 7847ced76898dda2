/* A model's outputs: their names, the one that gives the class, the layers it depends on, each example's predicted class. */
import { argMax, tidy } from '@tensorflow/tfjs-core'
import { InstrumentError } from '../../errors.js'
import { isTensor } from './forward.js'
import type { Site } from '../sites/layers.js'

/** What a model says about its outputs: a layers model's `outputNames`, a graph model's `outputNodes` and `outputs`. */
interface OutputsOf {
  readonly outputNames?: readonly string[]
  readonly outputNodes?: readonly string[]
  readonly outputs?: readonly { readonly name?: string }[]
}

/** The names each output answers to, in the order the model returns its outputs. */
export function outputNames(model: object): string[][] {
  const m = model as OutputsOf
  if (m.outputNodes === undefined) return (m.outputNames ?? []).map((name) => [name])
  // a graph model: its signature's key, and the node that computes it
  return m.outputNodes.map((name, i) => {
    const node = m.outputs?.[i]?.name
    return node === undefined || node === name ? [name] : [name, node]
  })
}

/**
 * The index of the output that gives the class: `output` as an index into the model's
 * outputs or as one of their names (a layers model's `outputNames`, a graph model's
 * `outputNodes` or `outputs[i].name`); the first output when it is undefined.
 */
export function outputIndex(model: object, output: number | string | undefined, where: string): number {
  if (output === undefined) return 0
  const names = outputNames(model)
  const list = names.map((n, i) => `${i} (${n.map((s) => JSON.stringify(s)).join(' or ')})`).join(', ')
  const index = typeof output === 'number' ? output : names.findIndex((n) => n.includes(output))
  if (!Number.isInteger(index) || index < 0 || (names.length > 0 && index >= names.length) || (names.length === 0 && index > 0)) {
    throw new InstrumentError(
      'INVALID_OPTION',
      `${where}: output ${JSON.stringify(output)} is not an output of this model. Its outputs are ${list || 'one, unnamed (0)'}.`,
    )
  }
  return index
}

/**
 * Each example's predicted class, the index of the largest value of output `index` of what
 * the model returned, and the number of classes (that output's width). The output must
 * be `[examples, classes]` with at least two classes: a single score (a sigmoid, a
 * regression) names no class.
 */
export function predictedClasses(output: unknown, index = 0): { classes: Int32Array; width: number } {
  const list = Array.isArray(output) ? output : [output]
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
  return { classes: tidy(() => argMax(chosen, -1).dataSync() as Int32Array).slice(), width }
}

/** A symbolic tensor of a layers model: the layer and call that made it. */
interface SymbolicLike {
  readonly sourceLayer?: { readonly name: string; readonly inboundNodes?: readonly { readonly inputTensors?: readonly SymbolicLike[] }[] }
  readonly nodeIndex?: number
}

/** A graph model's nodes, as its executor holds them. */
interface GraphNodeLike {
  readonly name: string
  readonly inputs?: readonly GraphNodeLike[]
}

/** Names of the layers (layers model, top level) or nodes (graph model) output `index` depends on; null when the model does not say. */
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
    if (layer === undefined || seen.has(`${layer.name}#${t.nodeIndex ?? 0}`)) continue
    seen.add(`${layer.name}#${t.nodeIndex ?? 0}`)
    seen.add(layer.name)
    stack.push(...(layer.inboundNodes?.[t.nodeIndex ?? 0]?.inputTensors ?? []))
  }
  return seen
}

/**
 * The sites output `index` depends on, in the order given: a site of another head of a
 * multi-output model is left out. All of them when the model does not say.
 */
export function sitesOfOutput<S extends Pick<Site, 'layerName' | 'path'>>(model: object, index: number, sites: readonly S[]): S[] {
  const before = ancestors(model, index)
  if (before === null) return [...sites]
  return sites.filter((s) => before.has(s.path[0] ?? s.layerName))
}
