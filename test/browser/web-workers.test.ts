// relu-patterns/web-workers in headless Chromium: a pool of web workers made from a script
// of the page's own (as an application would) against probe.measure, on cpu and wasm.
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { hasChromium, launchChromium, sayWhySkipped, serve } from './chromium.js'

sayWhySkipped(test)

const required = process.env['CI'] === 'true'
const run = hasChromium || required

let browser: Browser
let server: Awaited<ReturnType<typeof serve>>

async function bundle(file: string): Promise<Uint8Array> {
  const out = await build({
    entryPoints: [fileURLToPath(new URL(file, import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  })
  return out.outputFiles[0]!.contents
}

beforeAll(async () => {
  if (!run) return
  const wasmDir = new URL('../../node_modules/@tensorflow/tfjs-backend-wasm/dist/', import.meta.url)
  const files = new Map<string, [string, string | Uint8Array]>([
    [
      '/index.html',
      ['text/html', '<!doctype html><meta charset="utf-8"><title>web workers</title><script type="module" src="/page.js"></script>'],
    ],
    ['/page.js', ['text/javascript', await bundle('./workers-page.ts')]],
    ['/probe-worker.js', ['text/javascript', await bundle('./probe-worker.ts')]],
  ])
  for (const name of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm']) {
    files.set(`/${name}`, ['application/wasm', await readFile(new URL(name, wasmDir))])
  }
  server = await serve(files)
  browser = await launchChromium()
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

describe.runIf(run)('web workers in headless Chromium', () => {
  test('a pool of two equals probe.measure on cpu and wasm as the weights change; late, silent and custom worker scripts; refusals are coded', async () => {
    const page = await browser.newPage()
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(String(e)))
    await page.goto(`${server.url}/`)
    await page.waitForFunction(() => (window as unknown as { __report?: unknown }).__report !== undefined, undefined, { timeout: 240_000 })
    const checks = await page.evaluate(() => (window as unknown as { __report: { name: string; ok: boolean; detail: string }[] }).__report)
    await page.close()
    expect(errors).toEqual([])
    expect(checks.filter((c) => !c.ok)).toEqual([])
    expect(checks.map((c) => c.name)).toContain('wasm: pool results equal probe.measure exactly (after the weights changed)')
    expect(checks.length).toBe(19)
  }, 300_000)
})
