import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { hasChromium, launchChromium, sayWhySkipped, serve } from './chromium.js'

sayWhySkipped(test)

// In CI, Chromium is installed by .ci/run and these tests must run; elsewhere they are
// skipped when Debian's chromium is not installed (apt-get install chromium).
const required = process.env['CI'] === 'true'
const run = hasChromium || required

let browser: Browser
let server: Awaited<ReturnType<typeof serve>>

beforeAll(async () => {
  if (!run) return
  const bundle = await build({
    entryPoints: [fileURLToPath(new URL('./page.ts', import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  })
  const html =
    '<!doctype html><meta charset="utf-8"><title>relu-patterns browser tests</title><script type="module" src="/page.js"></script>'
  server = await serve(
    new Map([
      ['/index.html', ['text/html', html]],
      ['/page.js', ['text/javascript', bundle.outputFiles[0]!.contents]],
    ]),
  )
  browser = await launchChromium()
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

interface Check {
  name: string
  ok: boolean
  detail: string
}

async function report(query: string): Promise<Check[]> {
  const page = await browser.newPage()
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(String(e)))
  await page.goto(`${server.url}/${query}`)
  await page.waitForFunction(() => (window as unknown as { __report?: unknown }).__report !== undefined, undefined, { timeout: 240_000 })
  const checks = await page.evaluate(() => (window as unknown as { __report: Check[] }).__report)
  const stats = await page.evaluate(() => (window as unknown as { __stats: string[] }).__stats)
  for (const s of stats) console.info(`[webgl ${query || 'float32'}] ${s}`)
  await page.close()
  expect(errors).toEqual([])
  return checks
}

describe.runIf(run)('in headless Chromium', () => {
  test('webgl (float32 textures) and cpu: bits, training, leaks, dispose, errors', async () => {
    const checks = await report('')
    expect(checks.filter((c) => !c.ok)).toEqual([])
    expect(checks.length).toBeGreaterThan(20)
    expect(checks.map((c) => c.name)).toContain('relu-only: webgl bits equal cpu bits for the same inputs')
  }, 300_000)

  test('webgl with float16 textures packs 8 bits per device word, still exact', async () => {
    const checks = await report('?f16=1')
    expect(checks.filter((c) => !c.ok)).toEqual([])
    expect(checks.map((c) => c.name)).toContain('device word size 8 bits for float16 textures')
  }, 300_000)
})
