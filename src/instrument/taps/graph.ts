/* The tap on a graph model's executor: site tensors fetched in the same execution as the caller's outputs. */
import type { Tensor } from '@tensorflow/tfjs-core'
import { saturationThreshold } from '../../bits/pack.js'
import { Recorder } from '../../record/recorder.js'
import { CONTROL, type GraphInternals, type GraphModelLike } from '../sites/graph.js'
import type { FoundSite } from '../sites/layers.js'
import type { Group, Source } from './layers.js'

/*
 * Every execution path (predict, execute, executeAsync) ends in the executor's
 * `execute(inputs, outputs)` or `executeAsync`; the tap appends the site tensors that the
 * requested outputs depend on, so the ReLU outputs are fetched in the same execution,
 * packed and disposed, nothing else is computed, and the caller gets exactly the outputs
 * it asked for.
 */

/** The tensors of an executor's inputs (a tensor, an array, or a map by name). */
function inputTensors(inputs: unknown): Tensor[] {
  if (inputs === null || typeof inputs !== 'object') return []
  if (Array.isArray(inputs)) return inputs as Tensor[]
  if (typeof (inputs as Tensor).dataSync === 'function') return [inputs as Tensor]
  return Object.values(inputs as Record<string, Tensor>)
}

/**
 * The nodes an execution computes for `outputs` from `inputs`: the outputs' ancestors,
 * not walking above the tensors fed (a caller may feed an inner node). Remembered per
 * set of outputs and fed names.
 */
function dependsOn(executor: GraphInternals['executor']): (inputs: unknown, outputs: readonly string[]) => Set<string> {
  const memo = new Map<string, Set<string>>()
  const nodes = executor.graph.nodes
  return (inputs, outputs) => {
    const fed =
      inputs !== null && typeof inputs === 'object' && !Array.isArray(inputs) && typeof (inputs as Tensor).dataSync !== 'function'
        ? Object.keys(inputs).map((k) => nodeOf(resolved(executor, 'inputs', k)))
        : []
    const key = `${outputs.join('\0')}\u0001${fed.join('\0')}`
    const known = memo.get(key)
    if (known !== undefined) return known
    const seen = new Set<string>()
    const stop = new Set(fed)
    const queue = outputs.map((o) => nodeOf(resolved(executor, 'outputs', o)))
    while (queue.length > 0) {
      const name = queue.pop()!
      // a fed node is not computed: no activation was applied there
      if (seen.has(name) || stop.has(name)) continue
      seen.add(name)
      for (const input of nodes[name]?.inputs ?? []) queue.push(input.name)
    }
    if (memo.size >= 64) memo.clear()
    memo.set(key, seen)
    return seen
  }
}

/** A tensor name as the executor takes it, signature keys resolved (as its mapInputs and mapOutputs do), written `node:k`. */
function resolved(executor: GraphInternals['executor'], map: 'inputs' | 'outputs', name: string): string {
  const t = executor._signature?.[map]?.[name]?.name ?? name
  return /:\d+$/.test(t) ? t : `${t}:0`
}

const nodeOf = (tensor: string): string => tensor.replace(/:\d+$/, '')

/** The source of a graph model: its executor, asked for the site nodes alongside the caller's outputs. */
export function graphSource(graphModel: GraphModelLike, found: readonly FoundSite[], values = false): Source {
  const model = graphModel as unknown as GraphInternals
  // one group per tensor read and site node: a site read from its input is computed only where its own node is
  const byNode = new Map<string, number[]>()
  found.forEach((f, i) => {
    const tensor = f.site.tensor ?? f.site.id.replace(/:saturated$/, '')
    const key = `${/:\d+$/.test(tensor) ? tensor : `${tensor}:0`}\u0000${f.site.layerName}`
    byNode.set(key, [...(byNode.get(key) ?? []), i])
  })
  const groups: (Group & { name: string; node: string })[] = [...byNode].map(([key, planes]) => {
    const [name, node] = key.split('\u0000') as [string, string]
    const sites = planes.map((i) => found[i]!.site)
    const first = sites[0]!
    const recorder = new Recorder({
      id: first.id,
      units: first.units,
      granularity: first.granularity,
      dataFormat: first.dataFormat,
      thresholds: sites.map((s) => (s.plane === 'saturation' ? saturationThreshold(s.maxValue ?? 0) : 0)),
      caps: sites.map((s) => (s.plane === 'saturation' ? (s.maxValue ?? 0) : null)),
      values,
    })
    return { name, node, planes, recorder }
  })
  const executor = model.executor
  const nodes = Object.values(executor.graph.nodes)
  return {
    groups,
    tapped: [executor],
    values,
    trains: false,
    asyncOnly: nodes.some((n) => CONTROL.has(n.op)),
    attach(deliver, owner) {
      const upstream = dependsOn(executor)
      /** The outputs asked for, then the site tensors whose nodes they depend on that are not among them; -1 for a site not computed. */
      const extend = (inputs: unknown, outputs: string[]): { all: string[]; at: number[] } => {
        const all = [...outputs]
        const needed = upstream(inputs, outputs)
        // the caller's names resolved as the executor resolves them, so that a site named like a signature key is not taken for it
        const asked = outputs.map((o) => resolved(executor, 'outputs', o))
        const at = groups.map((g) => {
          if (!needed.has(g.node)) return -1
          const i = asked.indexOf(g.name)
          if (i >= 0) return i
          all.push(g.name)
          return all.length - 1
        })
        return { all, at }
      }
      const finish = (result: Tensor[], asked: number, at: number[], inputs: unknown, by?: { value: unknown }): Tensor[] => {
        const returned = result.slice(0, asked)
        try {
          at.forEach((i, g) => {
            if (i >= 0) deliver(g, result[i], false, by)
          })
        } finally {
          // a site output may be the very tensor of a caller's output (asked for by a
          // signature key) or of an input (a site read from the placeholder): never dispose those
          const keep = new Set<Tensor>([...returned, ...inputTensors(inputs)])
          for (let i = asked; i < result.length; i++) {
            const t = result[i]!
            if (!keep.has(t)) {
              keep.add(t)
              t.dispose()
            }
          }
        }
        return returned
      }
      const own = { execute: Object.hasOwn(executor, 'execute'), executeAsync: Object.hasOwn(executor, 'executeAsync') }
      const original = { execute: executor.execute, executeAsync: executor.executeAsync }
      executor.execute = function (this: unknown, inputs, outputs) {
        const { all, at } = extend(inputs, outputs)
        return finish(original.execute.call(this, inputs, all), outputs.length, at, inputs)
      }
      executor.executeAsync = async function (this: unknown, inputs, outputs) {
        const { all, at } = extend(inputs, outputs)
        // whose call this is is known now, not after the await
        const by = { value: owner() }
        return finish(await original.executeAsync.call(this, inputs, all), outputs.length, at, inputs, by)
      }
      return [
        () => {
          for (const key of ['execute', 'executeAsync'] as const) {
            if (own[key]) (executor as Record<string, unknown>)[key] = original[key]
            else delete (executor as Partial<GraphInternals['executor']>)[key]
          }
        },
      ]
    },
  }
}
