// Fast 2-D convolution gradients for the wasm backend (tfjs 4.x), for the training
// examples. Measured on the 2-core machine of docs/findings.md (batch 64):
// - wasm has no kernel for the filter gradient of a 2-D convolution, so training a conv
//   layer there throws. Its 3-D filter gradient, viewed with a depth axis of 1, would do,
//   but it is a plain loop (10-25x the forward conv) and wrong for strides above 1.
// - Its input gradient is a plain loop too, 3-9x the forward conv.
// - Its forward conv runs on XNNPACK. Both gradients are forward convs of rearranged
//   tensors, so this registers them that way:
//     input gradient  = conv(dy, filter rotated 180 degrees, in/out swapped), stride 1;
//     filter gradient = conv(x with batch and channels swapped, dy as the filter),
//                       with dy's stride as the filter's dilation.
//   An input gradient with a stride above 1 falls back to the original kernel.
// - The batch-norm gradient broadcasts with Tile, a plain per-element loop in wasm: the
//   broadcast case becomes a repeated block copy.
// test/examples-wasm-conv.test.ts checks both against the cpu backend.
import { backend_util, getKernel, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core'

const kernel = (name) => {
  const k = getKernel(name, 'wasm')
  if (k === undefined) throw new Error(`this wasm backend has no ${name} kernel`)
  return k
}

/** Runs wasm kernels by name inside a kernel function, freeing intermediates at the end. */
function scratch(backend) {
  const made = []
  return {
    run(name, inputs, attrs) {
      const out = kernel(name).kernelFunc({ inputs, backend, attrs })
      made.push(out)
      return out
    },
    keep(info) {
      made.splice(made.indexOf(info), 1)
      return info
    },
    free() {
      for (const info of made) backend.disposeData(info.dataId)
    },
  }
}

const pair = (v) => (typeof v === 'number' ? [v, v] : v)

function checkFormat(dataFormat) {
  if (dataFormat !== undefined && dataFormat !== 'NHWC' && dataFormat !== 'channelsLast') {
    throw new Error(`only NHWC convolutions are supported here, not ${dataFormat}`)
  }
}

function filterGrad({ inputs, backend, attrs }) {
  const { x, dy } = inputs
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs
  checkFormat(dataFormat)
  const info = backend_util.computeConv2DInfo(x.shape, filterShape, strides, 1, pad, dimRoundingMode)
  const { top, bottom, left, right } = info.padInfo
  const [sh, sw] = pair(strides)
  const s = scratch(backend)
  try {
    const xt = s.run('Transpose', { x }, { perm: [3, 1, 2, 0] }) // [C, H, W, N]
    const dyt = s.run('Transpose', { x: dy }, { perm: [1, 2, 0, 3] }) // [H', W', N, F]
    const conv = s.run(
      'Conv2D',
      { x: xt, filter: dyt },
      {
        strides: 1,
        pad: [
          [0, 0],
          [top, bottom],
          [left, right],
          [0, 0],
        ],
        dataFormat: 'NHWC',
        dilations: [sh, sw],
      },
    ) // [C, kh', kw', F] with kh' >= kh
    const [kh, kw] = filterShape
    const cut =
      conv.shape[1] === kh && conv.shape[2] === kw
        ? conv
        : s.run('Slice', { x: conv }, { begin: [0, 0, 0, 0], size: [conv.shape[0], kh, kw, conv.shape[3]] })
    return s.keep(s.run('Transpose', { x: cut }, { perm: [1, 2, 0, 3] }))
  } finally {
    s.free()
  }
}

function inputGrad(original) {
  return ({ inputs, backend, attrs }) => {
    const { dy, filter } = inputs
    const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs
    checkFormat(dataFormat)
    const info = backend_util.computeConv2DInfo(inputShape, filter.shape, strides, 1, pad, dimRoundingMode)
    const [kh, kw] = filter.shape
    const { top, bottom, left, right } = info.padInfo
    const full = [kh - 1 - top, kh - 1 - bottom, kw - 1 - left, kw - 1 - right]
    if (info.strideHeight !== 1 || info.strideWidth !== 1 || full.some((p) => p < 0)) {
      return original({ inputs, backend, attrs })
    }
    const s = scratch(backend)
    try {
      const flipped = s.run('Reverse', { x: filter }, { dims: [0, 1] })
      const swapped = s.run('Transpose', { x: flipped }, { perm: [0, 1, 3, 2] }) // [kh, kw, F, C]
      return s.keep(
        s.run(
          'Conv2D',
          { x: dy, filter: swapped },
          {
            strides: 1,
            pad: [
              [0, 0],
              [full[0], full[1]],
              [full[2], full[3]],
              [0, 0],
            ],
            dataFormat: 'NHWC',
            dilations: 1,
          },
        ),
      )
    } finally {
      s.free()
    }
  }
}

/**
 * Tile that only repeats the whole tensor along leading axes (how the batch-norm
 * gradient broadcasts its per-channel factors) is a repeated copy: doubling copyWithin
 * on the heap instead of the kernel's per-element index arithmetic.
 */
function tile(original) {
  return ({ inputs, backend, attrs }) => {
    const { x } = inputs
    const { reps } = attrs
    const lead = reps.indexOf(1)
    const inner = lead < 0 ? reps.length : lead
    const wholeCopies = reps.slice(inner).every((r) => r === 1) && x.shape.slice(0, inner).every((d) => d === 1)
    if (!wholeCopies || x.dtype === 'string') return original({ inputs, backend, attrs })
    const outShape = x.shape.map((d, i) => d * reps[i])
    const out = backend.makeOutput(outShape, x.dtype)
    const src = backend.typedArrayFromHeap(x)
    const dst = backend.typedArrayFromHeap(out)
    if (dst.length === 0) return out
    dst.set(src)
    for (let filled = src.length; filled < dst.length; filled *= 2) {
      dst.copyWithin(filled, 0, Math.min(filled, dst.length - filled))
    }
    return out
  }
}

let registered = false

/**
 * Registers the fast convolution gradients for wasm; call once after importing the wasm
 * backend and before training. Other backends are untouched.
 */
export function registerWasmConvGradients() {
  if (registered) return
  registered = true
  const input = kernel('Conv2DBackpropInput')
  unregisterKernel('Conv2DBackpropInput', 'wasm')
  registerKernel({
    kernelName: 'Conv2DBackpropInput',
    backendName: 'wasm',
    setupFunc: input.setupFunc,
    kernelFunc: inputGrad(input.kernelFunc),
  })
  if (getKernel('Conv2DBackpropFilter', 'wasm') !== undefined) unregisterKernel('Conv2DBackpropFilter', 'wasm')
  registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: filterGrad })
  const tiled = kernel('Tile')
  unregisterKernel('Tile', 'wasm')
  registerKernel({ kernelName: 'Tile', backendName: 'wasm', setupFunc: tiled.setupFunc, kernelFunc: tile(tiled.kernelFunc) })
}

/**
 * The smallest fix, kept to measure against: the filter gradient as wasm's 3-D one on a
 * depth-1 view (a plain loop; wrong for strides above 1, so those throw here).
 */
export function registerWasmConv2dFilterGradViaConv3d() {
  if (getKernel('Conv2DBackpropFilter', 'wasm') !== undefined) return
  const conv3d = kernel('Conv3DBackpropFilterV2')
  registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, dy } = inputs
      const { strides, pad, dataFormat, filterShape } = attrs
      checkFormat(dataFormat)
      if (pair(strides).some((v) => v !== 1)) throw new Error('the 3-D filter gradient of wasm is wrong for strides above 1')
      const deep = (t) => ({ dataId: t.dataId, dtype: t.dtype, shape: [t.shape[0], 1, ...t.shape.slice(1)] })
      const out = conv3d.kernelFunc({
        inputs: { x: deep(x), dy: deep(dy) },
        backend,
        attrs: { strides: [1, 1, 1], pad, filterShape: [1, ...filterShape] },
      })
      return { dataId: out.dataId, dtype: out.dtype, shape: filterShape }
    },
  })
}
