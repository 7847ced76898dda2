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
}

export const attrs = {
  fused: (...ops: string[]) => ({ fused_ops: { list: { s: ops.map(b64) } }, num_args: { i: '1' }, T: f32, epsilon: { f: 0 } }),
  conv: (format = 'NHWC') => ({ strides: { list: { i: ['1', '1', '1', '1'] } }, padding: { s: b64('VALID') }, data_format: { s: b64(format) }, dilations: { list: { i: ['1', '1', '1', '1'] } }, explicit_paddings: { list: {} } }),
  matmul: () => ({ transpose_a: { b: false }, transpose_b: { b: false } }),
  t: () => ({ T: f32 }),
}

/** A GraphModel from the spec, loaded synchronously from memory. */
export function graphModel(spec: GraphSpec): ReturnType<typeof tfc.loadGraphModelSync> {
  const consts = Object.entries(spec.consts)
  const node = [
    { name: 'x', op: 'Placeholder', attr: { dtype: f32, shape: { shape: { dim: spec.input.map((d) => ({ size: String(d) })) } } } },
    ...consts.map(([name, c]) => ({ name, op: 'Const', attr: { dtype: f32, value: { tensor: { dtype: 'DT_FLOAT', tensorShape: { dim: c.shape.map((d) => ({ size: String(d) })) } } } } })),
    ...spec.nodes.map((n) => ({ ...n, attr: { T: f32, ...(n.attr ?? {}) } })),
    ...spec.outputs.map((o, i) => ({ name: `Identity${i === 0 ? '' : `_${i}`}`, op: 'Identity', input: [o], attr: { T: f32 } })),
  ]
  const values = new Float32Array(consts.flatMap(([, c]) => c.values))
  return tfc.loadGraphModelSync({
    modelTopology: { node, library: {}, versions: { producer: 1 } },
    weightSpecs: consts.map(([name, c]) => ({ name, shape: c.shape, dtype: 'float32' as const })),
    weightData: values.buffer,
    format: 'graph-model',
    userDefinedMetadata: { signature: { inputs: { x: { name: 'x:0' } }, outputs: Object.fromEntries(spec.outputs.map((_, i) => [`out${i}`, { name: `Identity${i === 0 ? '' : `_${i}`}:0` }])) } },
  } as never)
}

/** Deterministic small numbers. */
export function numbers(n: number, seed: number): number[] {
  let x = seed >>> 0 || 1
  return Array.from({ length: n }, () => ((x = (x * 1103515245 + 12345) >>> 0), ((x >>> 8) % 2001) / 1000 - 1))
}
