// Time per training step of the replication's networks on each way to train them here:
// the cpu backend; wasm with only the missing filter gradient added (its 3-D kernel on a
// depth-1 view); wasm with the gradients of ../lib/wasm-conv.mjs; webgl in headless
// Chromium (software rasteriser, SwiftShader). One network, one batch size, same steps.
//
//   node examples/paper-replication/speed.mjs [--family resnet] [--width 16] [--batch 64]
//     [--steps 10] [--cpu-steps 2] [--only cpu,wasm-stock,wasm-fast,webgl]
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const { values: args } = parseArgs({
  options: {
    family: { type: 'string', default: 'resnet' },
    width: { type: 'string', default: '16' },
    blocks: { type: 'string', default: '2' },
    batch: { type: 'string', default: '64' },
    steps: { type: 'string', default: '10' },
    'cpu-steps': { type: 'string', default: '2' },
    only: { type: 'string', default: 'cpu,wasm-stock,wasm-fast,webgl' },
    page: { type: 'boolean', default: false },
  },
})
const config = { family: args.family, width: Number(args.width), blocks: Number(args.blocks), seed: 1 }
const batch = Number(args.batch)

async function inNode(mode, steps) {
  const { execFileSync } = await import('node:child_process')
  const out = execFileSync(
    process.execPath,
    [
      fileURLToPath(import.meta.url),
      '--page',
      '--only',
      mode,
      '--steps',
      String(steps),
      '--family',
      args.family,
      '--width',
      args.width,
      '--blocks',
      args.blocks,
      '--batch',
      args.batch,
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  )
  return JSON.parse(out.trim().split('\n').at(-1))
}

async function inChromium(steps) {
  const { runInChromium } = await import('../../bench/chromium.mjs')
  const source = `
    import * as tf from '@tensorflow/tfjs-core'
    import '@tensorflow/tfjs-backend-webgl'
    import { network } from './networks.mjs'
    import { timeSteps } from './steps.mjs'
    await tf.setBackend('webgl')
    const r = await timeSteps(tf, network, ${JSON.stringify(config)}, ${batch}, ${steps})
    const gl = document.createElement('canvas').getContext('webgl2')
    const info = gl.getExtension('WEBGL_debug_renderer_info')
    window.__result = { ...r, renderer: info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : 'unknown' }`
  return runInChromium(source, new URL('.', import.meta.url))
}

if (args.page) {
  // one backend in this process, so that nothing else is registered
  const tf = await import('@tensorflow/tfjs-core')
  const { network } = await import('./networks.mjs')
  const { timeSteps } = await import('./steps.mjs')
  const mode = args.only
  if (mode === 'cpu') await import('@tensorflow/tfjs-backend-cpu')
  else {
    await import('@tensorflow/tfjs-backend-wasm')
    const fixes = await import('../lib/wasm-conv.mjs')
    if (mode === 'wasm-stock') fixes.registerWasmConv2dFilterGradViaConv3d()
    else fixes.registerWasmConvGradients()
  }
  await tf.setBackend(mode === 'cpu' ? 'cpu' : 'wasm')
  console.log(JSON.stringify(await timeSteps(tf, network, config, batch, Number(args.steps))))
} else {
  const rows = []
  for (const mode of args.only.split(',')) {
    const steps = mode === 'cpu' ? Number(args['cpu-steps']) : Number(args.steps)
    const r = mode === 'webgl' ? await inChromium(steps) : await inNode(mode, steps)
    rows.push({ mode, ...r })
    const perEpoch = (r.median * Math.ceil(60000 / batch)) / 60000
    console.log(
      `${mode.padEnd(10)} ${r.median.toFixed(0).padStart(7)} ms/step (min ${r.min.toFixed(0)}, max ${r.max.toFixed(0)}, ${steps} steps)` +
        `  ${perEpoch.toFixed(1)} min per MNIST epoch${r.renderer ? `  [${r.renderer}]` : ''}`,
    )
  }
}
