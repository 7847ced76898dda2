import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Browser } from 'playwright-core'
import { build } from 'vite'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { directory, hasChromium, launchChromium, sayWhySkipped, serve } from './chromium.js'

sayWhySkipped(test)

const run = hasChromium || process.env['CI'] === 'true'
const root = fileURLToPath(new URL('../../examples/browser/', import.meta.url))
const out = fileURLToPath(new URL('./out/', import.meta.url))
let dist = ''
let browser: Browser
let server: Awaited<ReturnType<typeof serve>>

beforeAll(async () => {
  if (!run) return
  execFileSync(process.execPath, [join(root, 'prepare.mjs')])
  dist = mkdtempSync(join(tmpdir(), 'relu-patterns-browser-'))
  // the page imports the package by name; here it resolves to the sources, so the test
  // does not depend on a prior `npm run build`
  await build({
    configFile: join(root, 'vite.config.mjs'),
    logLevel: 'silent',
    build: { outDir: dist, emptyOutDir: true },
    resolve: { alias: { 'relu-patterns': fileURLToPath(new URL('../../src/index.ts', import.meta.url)) } },
  })
  server = await serve(await directory(dist))
  browser = await launchChromium()
}, 180_000)

afterAll(async () => {
  await browser?.close()
  await server?.close()
  if (dist !== '') rmSync(dist, { recursive: true, force: true })
})

test.runIf(run)(
  'examples/browser trains on real digits in the page and draws a live entropy heatmap',
  async () => {
    const page = await browser.newPage({ viewport: { width: 900, height: 520 } })
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(String(e)))
    await page.goto(`${server.url}/index.html?epochs=1`)
    // live: the heatmap has columns while training is still going
    await page.waitForFunction(() => Number(document.getElementById('heatmap')?.dataset['points']) >= 2, undefined, { timeout: 240_000 })
    const midway = await page.evaluate(() => (window as unknown as { __demo?: unknown }).__demo === undefined)
    await page.waitForFunction(() => (window as unknown as { __demo?: unknown }).__demo !== undefined, undefined, { timeout: 240_000 })
    const demo = await page.evaluate(
      () => (window as unknown as { __demo: { points?: number; done?: boolean; error?: string; accuracy?: number } }).__demo,
    )
    expect(demo.error).toBeUndefined()
    expect(demo.done).toBe(true)
    expect(midway).toBe(true)
    // 47 batches of 64 from 3000 digits, measured at 0, 10, 20, 30, 40 and at the end
    expect(demo.points).toBe(6)
    expect(demo.accuracy).toBeGreaterThan(0.3) // chance is 0.1; one short epoch
    const canvas = await page.evaluate(() => {
      const c = document.getElementById('heatmap') as HTMLCanvasElement
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data
      const colours = new Set<string>()
      let painted = 0
      for (let i = 0; i < d.length; i += 4) {
        if (d[i + 3]! > 0) painted++
        colours.add(`${d[i]},${d[i + 1]},${d[i + 2]},${d[i + 3]}`)
      }
      return { painted, colours: colours.size, backend: document.getElementById('backend')!.textContent }
    })
    expect(canvas.backend).toBe('webgl')
    expect(canvas.painted).toBeGreaterThan(1000)
    expect(canvas.colours).toBeGreaterThan(3)
    mkdirSync(out, { recursive: true })
    await page.screenshot({ path: join(out, 'browser-example.png') })
    expect(errors).toEqual([])
    await page.close()
  },
  300_000,
)
