// The fit overhead on webgl (on-device packing) in headless Chromium, measured as the
// Node part measures cpu and wasm: instrumented and plain fits interleaved, median ratio.
//
//   npm run bench:webgl [-- --json] [-- --smoke]
import { existsSync } from 'node:fs'
import { CHROMIUM, runInChromium } from './chromium.mjs'

/** `{ ratio, plainMs, instrumentedMs, recorderShare, recorderShareRange, renderer }` of the MLP fit on webgl. */
export async function webglFitOverhead({ smoke = false } = {}) {
  const size = smoke ? { examples: 256, batchSize: 128, rounds: 1 } : { examples: 512, batchSize: 128, rounds: 15 }
  const source = `
    import * as tf from '@tensorflow/tfjs-core'
    import '@tensorflow/tfjs-backend-webgl'
    import { fitOverhead, mlp } from './training.mjs'
    try {
      await tf.setBackend('webgl')
      const r = await fitOverhead(mlp, [784], ${JSON.stringify(size)})
      const gl = document.createElement('canvas').getContext('webgl2')
      const info = gl.getExtension('WEBGL_debug_renderer_info')
      window.__result = { ...r, backend: tf.getBackend(), renderer: info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : 'unknown' }
    } catch (e) {
      window.__error = String(e && e.stack || e)
    }`
  return runInChromium(source, new URL('.', import.meta.url))
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (!existsSync(CHROMIUM)) {
    console.error(`no Chromium at ${CHROMIUM}: apt-get install chromium, or set CHROMIUM_PATH`)
    process.exit(2)
  }
  const r = await webglFitOverhead({ smoke: process.argv.includes('--smoke') })
  if (process.argv.includes('--json'))
    console.log(
      JSON.stringify(
        { fitOverhead: { 'mlp-webgl': r.ratio }, recorderShare: { 'mlp-webgl': r.recorderShare }, fitMs: { 'mlp-webgl': r } },
        null,
        2,
      ),
    )
  else
    console.log(
      `fit overhead mlp-webgl ${r.ratio.toFixed(3)} (${r.plainMs.toFixed(0)} ms plain, ${r.backend} on ${r.renderer}); the probe's own time ${(100 * r.recorderShare).toFixed(2)}% (${(100 * r.recorderShareRange[0]).toFixed(2)}-${(100 * r.recorderShareRange[1]).toFixed(2)}%)`,
    )
}
