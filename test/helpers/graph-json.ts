import * as tfc from '@tensorflow/tfjs-converter'

/*
 * Small hand-written graph models (TensorFlow GraphDef as JSON, the format the converter
 * writes), to cover every node form the library treats as a ReLU site.
 */

const b64 = (s: string): string => Buffer.from(s).toString('base64')
const f32 = { type: 'DT_FLOAT' }

export interface GraphSpec {
  /** Placeholder shape, -1 for the batch. */
  input: number[]
  /** Nodes after the placeholder `x`; constants are declared in `consts`. */
  nodes: { name: string; op: string; input: string[]; attr?: Record<string, unknown> }[]
  /** Constant tensors: name -> { shape, values }. */
  consts: Record<string, { shape: number[]; values: number[] }>
  outputs: string[]
  /** Signature outputs name the nodes themselves (no Identity nodes in between). */
  signatureOnNodes?: boolean
  /** Constants stored as int32 (e.g. a Transpose's permutation). */
  intConsts?: string[]
}

export const attrs = {
  fused: (...ops: string[]) => ({ fused_ops: { list: { s: ops.map(b64) } }, num_args: { i: '1' }, T: f32, epsilon: { f: 0 } }),
  conv: (format = 'NHWC') => ({
    strides: { list: { i: ['1', '1', '1', '1'] } },
    padding: { s: b64('VALID') },
    data_format: { s: b64(format) },
    dilations: { list: { i: ['1', '1', '1', '1'] } },
    explicit_paddings: { list: {} },
  }),
  matmul: () => ({ transpose_a: { b: false }, transpose_b: { b: false } }),
  t: () => ({ T: f32 }),
}

/** A GraphModel from the spec, loaded synchronously from memory. */
export function graphModel(spec: GraphSpec): ReturnType<typeof tfc.loadGraphModelSync> {
  const consts = Object.entries(spec.consts)
  const isInt = (name: string): boolean => spec.intConsts?.includes(name) === true
  const dtype = (name: string) => (isInt(name) ? { type: 'DT_INT32' } : f32)
  const identity = (i: number): string => `Identity${i === 0 ? '' : `_${i}`}`
  const node = [
    { name: 'x', op: 'Placeholder', attr: { dtype: f32, shape: { shape: { dim: spec.input.map((d) => ({ size: String(d) })) } } } },
    ...consts.map(([name, c]) => ({
      name,
      op: 'Const',
      attr: {
        dtype: dtype(name),
        value: { tensor: { dtype: dtype(name).type, tensorShape: { dim: c.shape.map((d) => ({ size: String(d) })) } } },
      },
    })),
    ...spec.nodes.map((n) => ({ ...n, attr: { T: f32, ...(n.attr ?? {}) } })),
    ...(spec.signatureOnNodes === true
      ? []
      : spec.outputs.map((o, i) => ({ name: identity(i), op: 'Identity', input: [o], attr: { T: f32 } }))),
  ]
  // weights are laid out one after the other, each in its own dtype (4 bytes either way)
  const buffer = new ArrayBuffer(consts.reduce((n, [, c]) => n + 4 * c.values.length, 0))
  let at = 0
  for (const [name, c] of consts) {
    if (isInt(name)) new Int32Array(buffer, at, c.values.length).set(c.values)
    else new Float32Array(buffer, at, c.values.length).set(c.values)
    at += 4 * c.values.length
  }
  const outputName = (o: string, i: number): string => (spec.signatureOnNodes === true ? `${o}:0` : `${identity(i)}:0`)
  return tfc.loadGraphModelSync({
    modelTopology: { node, library: {}, versions: { producer: 1 } },
    weightSpecs: consts.map(([name, c]) => ({ name, shape: c.shape, dtype: isInt(name) ? ('int32' as const) : ('float32' as const) })),
    weightData: buffer,
    format: 'graph-model',
    userDefinedMetadata: {
      signature: {
        inputs: { x: { name: 'x:0' } },
        outputs: Object.fromEntries(spec.outputs.map((o, i) => [`out${i}`, { name: outputName(o, i) }])),
      },
    },
  } as never)
}

/** Deterministic small numbers. */
export function numbers(n: number, seed: number): number[] {
  let x = seed >>> 0 || 1
  return Array.from({ length: n }, () => ((x = (x * 1103515245 + 12345) >>> 0), ((x >>> 8) % 2001) / 1000 - 1))
}
