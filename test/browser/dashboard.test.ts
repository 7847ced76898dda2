import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { hasChromium, launchChromium, sayWhySkipped, serve } from './chromium.js'

/*
 * mountDashboard inside an application's page: the view re-draws while fit runs there,
 * with no console error and no request off the page's own server.
 */
sayWhySkipped(test)
const run = hasChromium || process.env['CI'] === 'true'
let browser: Browser
let server: Awaited<ReturnType<typeof serve>>

beforeAll(async () => {
  if (!run) return
  const bundle = await build({
    entryPoints: [fileURLToPath(new URL('./dashboard-page.ts', import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  })
  const html =
    '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>an application</title><h1>My training page</h1><div id="patterns"></div><script type="module" src="/page.js"></script>'
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

test.runIf(run)(
  'the view mounted in a page gains columns while fit runs, and stops at unmount',
  async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 1400 } })
    const errors: string[] = []
    const requests: string[] = []
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text())
    })
    page.on('pageerror', (e) => errors.push(String(e)))
    page.on('request', (r) => requests.push(r.url()))
    try {
      await page.goto(server.url)
      await page.waitForFunction(() => window.__ready === true, undefined, { timeout: 60_000 })
      // 64 examples in batches of 8: a measurement before the first batch, then after every second one
      const seen = await page.evaluate(() => window.__fit(2))
      expect(seen).toHaveLength(16)
      // seen at the end of each batch, while fit runs: the cells grow by one column per measurement
      const perColumn = seen[0]!
      expect(perColumn).toBeGreaterThan(0)
      for (let b = 0; b < seen.length; b++) expect(seen[b]).toBe(perColumn * (1 + Math.floor((b + 1) / 2)))
      expect(await page.textContent('#patterns .status')).toMatch(/9 measurements/)
      // the application's heading is untouched, its page keeps its look
      expect(await page.textContent('h1')).toBe('My training page')
      await page.selectOption('#patterns select[data-view="metric"]', 'vsPrevious.flipRate')
      expect(await page.textContent('#patterns h2')).toContain('flip rate')
      await page.screenshot({ path: fileURLToPath(new URL('./out/dashboard-mounted.png', import.meta.url)), fullPage: true })
      // after unmount, the view keeps its last picture and fit goes on without it
      await page.evaluate(() => window.__unmount())
      const after = await page.evaluate(() => window.__fit(1))
      expect(new Set(after)).toEqual(new Set([perColumn * 9]))
      expect(errors).toEqual([])
      expect(requests.filter((u) => !u.startsWith(server.url))).toEqual([])
    } finally {
      await page.close()
    }
  },
  120_000,
)
