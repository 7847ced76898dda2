// Time per training step of the replication's networks on each way to train them here:
// the cpu backend; wasm with only the missing filter gradient added (its 3-D kernel on a
// depth-1 view); wasm with the gradients of ../lib/wasm-conv.mjs; webgl in headless
// Chromium (software rasteriser, SwiftShader). One network, one batch size, same steps.
//
//   node examples/paper-replication/speed.mjs [--family resnet] [--width 16] [--batch 64]
//     [--steps 10] [--cpu-steps 2] [--only cpu,wasm-stock,wasm-fast,webgl]
import { createServer } from 'node:http'
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
  const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--page', '--only', mode, '--steps', String(steps),
    '--family', args.family, '--width', args.width, '--blocks', args.blocks, '--batch', args.batch], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
  return JSON.parse(out.trim().split('\n').at(-1))
}

async function inChromium(steps) {
  const { build } = await import('esbuild')
  const { chromium } = await import('playwright-core')
  const entry = `
    import * as tf from '@tensorflow/tfjs-core'
    import '@tensorflow/tfjs-backend-webgl'
    import { network } from './networks.mjs'
    import { timeSteps } from './steps.mjs'
    await tf.setBackend('webgl')
    window.__speed = await timeSteps(tf, network, ${JSON.stringify(config)}, ${batch}, ${steps})
    window.__speed.renderer = (() => { const gl = document.createElement('canvas').getContext('webgl2'); const d = gl.getExtension('WEBGL_debug_renderer_info'); return d ? gl.getParameter(d.UNMASKED_RENDERER_WEBGL) : 'unknown' })()`
  const bundle = await build({ stdin: { contents: entry, resolveDir: fileURLToPath(new URL('.', import.meta.url)), loader: 'js' }, bundle: true, format: 'esm', platform: 'browser', target: 'es2022', write: false, logLevel: 'silent', define: { 'process.argv': '[]' } })
  const files = {
    '/': ['text/html', '<!doctype html><meta charset="utf-8"><script type="module" src="/page.js"></script>'],
    '/page.js': ['text/javascript', bundle.outputFiles[0].contents],
  }
  const server = createServer((req, res) => {
    const file = files[req.url]
    if (file === undefined) res.writeHead(404).end()
    else res.writeHead(200, { 'content-type': file[0] }).end(file[1])
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  // the flags of test/browser/chromium.ts: WebGL on SwiftShader, no network
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless=new', '--no-sandbox', '--disable-background-networking', '--use-gl=angle', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
  })
  try {
    const page = await browser.newPage()
    await page.goto(`http://127.0.0.1:${server.address().port}/`)
    await page.waitForFunction(() => window.__speed !== undefined, undefined, { timeout: 1_200_000 })
    return await page.evaluate(() => window.__speed)
  } finally {
    await browser.close()
    server.close()
  }
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
    console.log(`${mode.padEnd(10)} ${r.median.toFixed(0).padStart(7)} ms/step (min ${r.min.toFixed(0)}, max ${r.max.toFixed(0)}, ${steps} steps)` +
      `  ${perEpoch.toFixed(1)} min per MNIST epoch${r.renderer ? `  [${r.renderer}]` : ''}`)
  }
}
