/* The ReLU family as tfjs-converter graphs spell it: single ops, fused ops, and forms built of several ops. */
import type { Tensor as TfTensor } from '@tensorflow/tfjs-core'
import { InstrumentError } from '../../errors.js'
import type { ActivationKind, ReluKind } from './kinds.js'

/** The parts of a tfjs-converter graph node this library reads. */
export interface GraphNode {
  readonly name: string
  readonly op: string
  readonly inputNames: readonly string[]
  readonly inputs: readonly GraphNode[]
  readonly children: readonly GraphNode[]
  readonly attrParams: Readonly<Record<string, { value?: unknown } | undefined>>
}

/** A graph's weights by node name. */
export type Weights = Readonly<Record<string, readonly TfTensor[]>>

/** A ReLU-family activation found in a graph, spelled as one op or as several. */
export interface GraphForm {
  /** The node whose output is the activation's output: the site's id. */
  readonly node: GraphNode
  /** The ops the form is made of, joined by `+` (`Relu+Minimum+Maximum`), or the one op. */
  readonly ops: string
  readonly kind: ReluKind
  readonly maxValue: number | null
  /** The tensor the bits are read from (a node name, or `name:k` for a node's k-th output), and its node. */
  readonly read: string
  readonly readNode: GraphNode
  readonly reads: 'output' | 'input'
}

/** A ReLU-family form seen but not recorded, and why. */
export interface GraphSkip {
  readonly node: GraphNode
  readonly ops: string
  readonly detail: string
}

export const FUSED = new Set(['_FusedConv2D', 'FusedConv2D', 'FusedDepthwiseConv2dNative', '_FusedMatMul', 'FusedMatMul'])

/** A constant node's tensor, or undefined. */
export function constTensor(node: GraphNode | undefined, weights: Weights): TfTensor | undefined {
  if (node === undefined || node.op !== 'Const') return undefined
  const t = weights[node.name]?.[0]
  if (t?.isDisposed === true) throw new InstrumentError('NOT_A_MODEL', 'This graph model has been disposed; load it again.')
  return t
}

/** The scalar value of a constant node (a tensor of one value), or null. */
export function constant(node: GraphNode | undefined, weights: Weights): number | null {
  const t = constTensor(node, weights)
  return t === undefined || t.size !== 1 ? null : t.dataSync()[0]!
}

/** A tensor name as the graph writes it: `node` for output 0, `node:k` otherwise. */
const tensorName = (name: string): string => name.replace(/^\^/, '').replace(/:0$/, '')

/** One bound of a ReLU-family op: `lower` at 0, a `cap` from above, and its non-constant input. */
interface Bound {
  readonly lower: boolean
  readonly cap: number | null
  /** The non-constant input (null for a fused op: the activation's input is not a tensor of the graph). */
  readonly x: Tensor | null
}

/** A tensor of the graph: the node that makes it and its name (`node` or `node:k`). */
interface Tensor {
  readonly node: GraphNode
  readonly name: string
}

/** The non-constant input of a two-input op whose other input is a scalar constant, with that constant. */
function withScalar(node: GraphNode, weights: Weights): { x: Tensor; c: number } | null {
  if (node.inputs.length !== 2) return null
  for (const k of [0, 1]) {
    const c = constant(node.inputs[k], weights)
    const other = 1 - k
    if (c !== null && node.inputs[other]!.op !== 'Const') return { x: { node: node.inputs[other]!, name: node.inputNames[other]! }, c }
  }
  return null
}

/** The bound a node applies: Relu, Relu6, Maximum(x, 0), Minimum(x, c > 0), ClipByValue(x, 0, c), a fused relu/relu6. */
function boundOf(node: GraphNode, weights: Weights): Bound | null {
  const first = node.inputs[0] === undefined ? null : { node: node.inputs[0], name: node.inputNames[0]! }
  switch (node.op) {
    case 'Relu':
      return { lower: true, cap: null, x: first }
    case 'Relu6':
      return { lower: true, cap: 6, x: first }
    case 'Maximum': {
      const s = withScalar(node, weights)
      return s !== null && s.c === 0 ? { lower: true, cap: null, x: s.x } : null
    }
    case 'Minimum': {
      const s = withScalar(node, weights)
      return s !== null && s.c > 0 ? { lower: false, cap: s.c, x: s.x } : null
    }
    case 'ClipByValue': {
      const cap = constant(node.inputs[2], weights)
      return constant(node.inputs[1], weights) === 0 && cap !== null && cap > 0 ? { lower: true, cap, x: first } : null
    }
    default: {
      if (!FUSED.has(node.op)) return null
      const fused = node.attrParams['fusedOps']?.value
      const last = Array.isArray(fused) ? String(fused[fused.length - 1]).toLowerCase() : ''
      return last === 'relu' ? { lower: true, cap: null, x: null } : last === 'relu6' ? { lower: true, cap: 6, x: null } : null
    }
  }
}

/** Ops whose output is never negative: a ReLU after one of them is the identity. */
const NON_NEGATIVE = new Set([
  'Relu',
  'Relu6',
  'Sigmoid',
  'Softmax',
  'Exp',
  'Abs',
  'Square',
  'Sqrt',
  'Rsqrt',
  'Softplus',
  'OnesLike',
  'ZerosLike',
])

/** Whether a node's output is never negative: those ops, any lower bound at 0 (Maximum(x, 0), a fused relu), through identities. */
function nonNegative(node: GraphNode, weights: Weights, depth = 8): boolean {
  if (NON_NEGATIVE.has(node.op) || boundOf(node, weights)?.lower === true) return true
  return (
    depth > 0 &&
    (node.op === 'Identity' || node.op === 'StopGradient') &&
    node.inputs[0] !== undefined &&
    nonNegative(node.inputs[0], weights, depth - 1)
  )
}

/** Caps applied above a chain's input by `Minimum(x, c)` nodes that feed other ops too (not in the chain): still this activation's caps. */
function capsAbove(x: Tensor | null, weights: Weights): number[] {
  const caps: number[] = []
  for (let t = x, k = 0; t !== null && k < 8; k++) {
    const b = boundOf(t.node, weights)
    if (b === null || b.lower || b.cap === null || tensorName(t.name) !== t.node.name) break
    caps.push(b.cap)
    t = b.x
  }
  return caps
}

/** Ops a hard-swish's product is walked up through to find its input. */
const BRANCH_OPS = new Set(['Mul', 'Neg', 'RealDiv', 'Div', 'Identity'])

/** The nodes on a path from `from` up to `target` through scalings (at most `depth` steps), or null. */
function pathUp(from: GraphNode, target: GraphNode, depth: number): GraphNode[] | null {
  if (from === target) return []
  if (depth === 0 || !BRANCH_OPS.has(from.op)) return null
  for (const input of from.inputs) {
    if (input.op === 'Const') continue
    const rest = pathUp(input, target, depth - 1)
    if (rest !== null) return [from, ...rest]
  }
  return null
}

/**
 * The nodes of `node` when it is a scaled negative part of `x`: `γ·min(x, 0)`,
 * `-γ·relu(-x)`, `γ·(x - |x|)`, through products by constants and negations; else null.
 */
function negativePart(node: GraphNode, x: Tensor, weights: Weights, depth = 4): GraphNode[] | null {
  if (depth === 0) return null
  const [a, b] = node.inputs
  const is = (k: number): boolean => node.inputs[k] === x.node && tensorName(node.inputNames[k]!) === tensorName(x.name)
  const scaled = (n: GraphNode): GraphNode[] | null => {
    const rest = negativePart(n, x, weights, depth - 1)
    return rest === null ? null : [node, ...rest]
  }
  switch (node.op) {
    case 'Mul':
    case 'RealDiv':
    case 'Div':
      if (b?.op === 'Const' && a !== undefined) return scaled(a)
      return node.op === 'Mul' && a?.op === 'Const' && b !== undefined ? scaled(b) : null
    case 'Neg':
    case 'Identity':
      return a === undefined ? null : scaled(a)
    case 'Minimum': {
      const s = withScalar(node, weights)
      return s !== null && s.c === 0 && s.x.node === x.node && tensorName(s.x.name) === tensorName(x.name) ? [node] : null
    }
    case 'Relu':
    case 'Maximum': {
      const inner = node.op === 'Relu' ? a : withScalar(node, weights)?.c === 0 ? withScalar(node, weights)!.x.node : undefined
      return inner?.op === 'Neg' && inner.inputs[0] === x.node && tensorName(inner.inputNames[0]!) === tensorName(x.name)
        ? [node, inner]
        : null
    }
    case 'Sub':
      return is(0) && b?.op === 'Abs' && b.inputs[0] === x.node && tensorName(b.inputNames[0]!) === tensorName(x.name) ? [node, b] : null
    default:
      return null
  }
}

/** Bound nodes linked in a chain: each the only consumer of the one before (Relu -> Minimum(6) -> Maximum(0)). */
function chains(nodes: readonly GraphNode[], weights: Weights): { ops: GraphNode[]; bounds: Bound[] }[] {
  const bounds = new Map<GraphNode, Bound>()
  for (const node of nodes) {
    const b = boundOf(node, weights)
    if (b !== null) bounds.set(node, b)
  }
  const next = (n: GraphNode): GraphNode | null => {
    if (n.children.length !== 1) return null
    const c = n.children[0]!
    const b = bounds.get(c)
    return b?.x?.node === n && (b.x.name === n.name || b.x.name === `${n.name}:0`) ? c : null
  }
  const linked = new Set<GraphNode>()
  for (const n of bounds.keys()) {
    const c = next(n)
    if (c !== null) linked.add(c)
  }
  const out: { ops: GraphNode[]; bounds: Bound[] }[] = []
  for (const start of bounds.keys()) {
    if (linked.has(start)) continue
    const ops = [start]
    for (let c = next(start); c !== null && !ops.includes(c); c = next(c)) ops.push(c)
    out.push({ ops, bounds: ops.map((o) => bounds.get(o)!) })
  }
  return out
}

const joined = (ops: readonly GraphNode[]): string => ops.map((o) => o.op).join('+')

/** `x + 3` (or `3 + x`): x, else null. */
function plusThree(node: GraphNode, weights: Weights): GraphNode | null {
  if (node.op !== 'Add' && node.op !== 'AddV2' && node.op !== 'BiasAdd') return null
  const s = withScalar(node, weights)
  return s !== null && s.c === 3 ? s.x.node : null
}

/** `node` is `input · c` or `input / c` for a constant c. */
function scaledByConstant(node: GraphNode, input: GraphNode, weights: Weights): boolean {
  if (node.op !== 'Mul' && node.op !== 'RealDiv' && node.op !== 'Div') return false
  const s = withScalar(node, weights)
  return s !== null && s.x.node === input
}

/** True when `node`'s output is multiplied by `x` (through products by constants, at most `depth` products down): hard-swish's gate. */
function timesInput(node: GraphNode, x: GraphNode, depth: number): boolean {
  if (depth === 0) return false
  return node.children.some((c) => {
    if (c.op !== 'Mul' && c.op !== 'RealDiv' && c.op !== 'Div') return false
    const other = c.inputs.find((i) => i !== node)
    if (other === undefined) return false
    return other.op === 'Const' ? timesInput(c, x, depth - 1) : pathUp(other, x, 3) !== null
  })
}

/** A PReLU spelled as ops: `relu(x) + g` where g is a scaled negative part of x (`γ·min(x, 0)`, `-γ·relu(-x)`, `γ·(x - |x|)`). */
function preluAround(end: GraphNode, x: Tensor, weights: Weights): { add: GraphNode; branch: GraphNode[] } | null {
  if (end.children.length !== 1) return null
  const add = end.children[0]!
  if (add.op !== 'Add' && add.op !== 'AddV2' && add.op !== 'Sub') return null
  if (add.inputs.length !== 2 || add.inputs.filter((i) => i === end).length !== 1 || (add.op === 'Sub' && add.inputs[0] !== end))
    return null
  const branch = negativePart(add.inputs.find((i) => i !== end)!, x, weights)
  return branch === null ? null : { add, branch }
}

/** `Maximum(x, α·x)`: a LeakyReLU spelled as ops. */
function leakyOf(node: GraphNode, weights: Weights): { x: string; node: GraphNode; alpha: number } | null {
  if (node.op !== 'Maximum' || node.inputs.length !== 2) return null
  for (const k of [0, 1]) {
    const mul = node.inputs[1 - k]!
    const x = node.inputs[k]!
    if (mul.op !== 'Mul' || mul.inputs.length !== 2) continue
    const s = withScalar(mul, weights)
    if (s !== null && s.x.node === x && tensorName(s.x.name) === tensorName(node.inputNames[k]!))
      return { x: node.inputNames[k]!, node: x, alpha: s.c }
  }
  return null
}

const OPT_IN = (kind: ActivationKind): string => `record the sign of its input with instrument(model, { activations: ['relu', '${kind}'] })`

/** The single-op opt-in kinds: LeakyRelu, Prelu (read from their input), Elu, Selu, and fused leaky ReLUs. */
function singleOp(node: GraphNode, kinds: ReadonlySet<ActivationKind>): GraphForm | GraphSkip | null {
  const { op } = node
  const base = { node, ops: op }
  if (op === 'LeakyRelu' || op === 'Prelu') {
    const kind = op === 'LeakyRelu' ? 'leakyRelu' : 'prelu'
    if (!kinds.has(kind))
      return { ...base, detail: `${op} passes negative values through, so its sign is not a ReLU's on/off state; ${OPT_IN(kind)}.` }
    const alpha = node.attrParams['alpha']?.value
    const input = op === 'Prelu' || (typeof alpha === 'number' && alpha < 0)
    return {
      ...base,
      kind,
      maxValue: null,
      read: input ? node.inputNames[0]! : node.name,
      readNode: input ? node.inputs[0]! : node,
      reads: input ? 'input' : 'output',
    }
  }
  if ((op === 'Elu' || op === 'Selu') && kinds.has(op === 'Elu' ? 'elu' : 'selu')) {
    return { ...base, kind: op === 'Elu' ? 'elu' : 'selu', maxValue: null, read: node.name, readNode: node, reads: 'output' }
  }
  if (FUSED.has(op)) {
    const fused = node.attrParams['fusedOps']?.value
    const last = Array.isArray(fused) ? String(fused[fused.length - 1]).toLowerCase() : ''
    const alpha = node.attrParams['leakyreluAlpha']?.value
    const read = { read: node.name, readNode: node, reads: 'output' as const, maxValue: null }
    if (last === 'leakyrelu' && kinds.has('leakyRelu') && !(typeof alpha === 'number' && alpha < 0))
      return { ...base, kind: 'leakyRelu', ...read }
    if (last === 'leakyrelu' || last === 'prelu')
      return { ...base, detail: `${op} fuses ${last}: the input of the activation is not a tensor of the graph.` }
    if (last === 'elu' && kinds.has('elu')) return { ...base, kind: 'elu', ...read }
  }
  return null
}

/**
 * Every ReLU-family form of a graph, in node order: the forms recorded with `kinds`, and
 * the ones seen but not recorded with the reason. A chain of bounds (`Relu`, `Maximum(x,
 * 0)`, `Minimum(x, c)`, `ClipByValue`, `Relu6`) is one site at its last node, capped at
 * the smallest cap; a ReLU of a never-negative input is the identity and no site; a PReLU
 * or LeakyReLU spelled as ops, and hard-swish / hard-sigmoid built on `Relu6(x + 3)`, are
 * their own kinds, recorded only when asked for.
 */
export function graphForms(
  nodes: readonly GraphNode[],
  weights: Weights,
  kinds: ReadonlySet<ActivationKind>,
): { forms: GraphForm[]; skipped: GraphSkip[] } {
  const found = new Map<GraphNode, GraphForm | GraphSkip>()
  const inside = new Set<GraphNode>()
  const put = (form: GraphForm | GraphSkip, members: readonly GraphNode[]): void => {
    found.set(form.node, form)
    for (const m of members) if (m !== form.node) inside.add(m)
  }
  for (const node of nodes) {
    const single = singleOp(node, kinds)
    if (single !== null) put(single, [])
    const leaky = leakyOf(node, weights)
    if (leaky === null) continue
    const ops = `Maximum+Mul`
    if (!kinds.has('leakyRelu'))
      put(
        {
          node,
          ops,
          detail: `A LeakyReLU spelled as Maximum(x, ${leaky.alpha}·x) passes negative values through; ${OPT_IN('leakyRelu')}.`,
        },
        [node.inputs[0]!, node.inputs[1]!].filter((n) => n.op === 'Mul'),
      )
    else
      put(
        { node, ops, kind: 'leakyRelu', maxValue: null, read: leaky.x, readNode: leaky.node, reads: 'input' },
        node.inputs.filter((n) => n.op === 'Mul'),
      )
  }
  const all = chains(nodes, weights)
  // PReLUs first: their negative branch may hold a Relu(-x) that is not a site of its own
  for (const { ops, bounds } of all) {
    const x = bounds[0]!.x
    const end = ops[ops.length - 1]!
    if (x === null || bounds.some((b) => b.cap !== null)) continue
    const prelu = preluAround(end, x, weights)
    if (prelu === null) continue
    const spelled = `${joined(ops)}+${prelu.add.op}`
    const members = [...ops, ...prelu.branch]
    if (!kinds.has('prelu')) {
      put(
        {
          node: prelu.add,
          ops: spelled,
          detail: `A PReLU spelled as ops (${spelled}, the second addend built from the same input) passes γ·x for negative x, so its units are never off; ${OPT_IN('prelu')}.`,
        },
        members,
      )
    } else put({ node: prelu.add, ops: spelled, kind: 'prelu', maxValue: null, read: x.name, readNode: x.node, reads: 'input' }, members)
  }
  for (const { ops, bounds } of all) {
    if (ops.some((o) => inside.has(o) || found.has(o))) continue
    if (!bounds.some((b) => b.lower)) continue
    const x = bounds[0]!.x
    const caps = [...bounds.map((b) => b.cap).filter((c): c is number => c !== null), ...capsAbove(x, weights)]
    const cap = caps.length === 0 ? null : Math.min(...caps)
    const end = ops[ops.length - 1]!
    const form = { node: end, ops: joined(ops), maxValue: cap, read: end.name, readNode: end, reads: 'output' as const }
    if (cap === null && x !== null && nonNegative(x.node, weights)) continue
    const shifted = cap === 6 && x !== null ? plusThree(x.node, weights) : null
    if (shifted !== null) {
      // hard-sigmoid relu6(x + 3) / 6, or hard-swish x · relu6(x + 3) / 6
      const swish = timesInput(end, shifted, 2)
      // relu6(x + 3) alone is a relu6 of x + 3; divided by 6 (or times 1/6) it is hard-sigmoid
      if (!swish && !end.children.some((c) => scaledByConstant(c, end, weights))) {
        if (kinds.has('relu')) put({ ...form, kind: 'relu6' }, ops)
        continue
      }
      const kind = swish ? 'hardSwish' : 'hardSigmoid'
      const what = swish ? 'hard-swish x·relu6(x + 3)/6' : 'hard-sigmoid relu6(x + 3)/6'
      if (!kinds.has(kind))
        put(
          {
            ...form,
            detail: `${what} is not a ReLU: its units are on from x > -3; record them (on: x > -3, saturated: x >= 3) with instrument(model, { activations: ['relu', '${kind}'] }).`,
          },
          ops,
        )
      else put({ ...form, kind }, ops)
      continue
    }
    if (kinds.has('relu')) put({ ...form, kind: cap === null ? 'relu' : cap === 6 ? 'relu6' : 'relu-capped' }, ops)
  }
  const forms: GraphForm[] = []
  const skipped: GraphSkip[] = []
  for (const node of nodes) {
    const f = found.get(node)
    if (f === undefined || inside.has(node)) continue
    if ('kind' in f) forms.push(f)
    else skipped.push(f)
  }
  return { forms, skipped }
}
