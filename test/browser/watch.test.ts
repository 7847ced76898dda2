import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { watch } from '../../src/cli/watch.js'
import { liveLog } from '../../src/dashboard/index.js'
import { instrument, trainingCallback } from '../../src/index.js'
import { data, mlp } from '../helpers/models.js'
import { tf } from '../helpers/tf.js'
import { hasChromium, launchChromium, sayWhySkipped } from './chromium.js'

/*
 * The live page while a model trains: `watch` serves it from a directory the training
 * writes its live log to; the page shows new measurements as they land, with no console
 * error and no request anywhere but the server.
 */
sayWhySkipped(test)
const run = hasChromium || process.env['CI'] === 'true'
let browser: Browser
const dir = mkdtempSync(join(tmpdir(), 'relu-watch-'))

beforeAll(async () => {
  if (run) browser = await launchChromium()
}, 60_000)
afterAll(async () => {
  await browser?.close()
  rmSync(dir, { recursive: true, force: true })
})

test.runIf(run)(
  'new measurements appear on the page while fit runs',
  async () => {
    const w = await watch(dir, 0)
    const page = await browser.newPage({ viewport: { width: 1200, height: 1400 } })
    const errors: string[] = []
    const requests: string[] = []
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text())
    })
    page.on('pageerror', (e) => errors.push(String(e)))
    page.on('request', (r) => requests.push(r.url()))
    try {
      await page.goto(w.url)
      await page.waitForSelector('#view .note')
      const model = mlp(11, [12, 40, 30, 3])
      const probe = instrument(model)
      const { xs, ys } = data(64, 12, 3, 31)
      const schedule = trainingCallback(probe, {
        every: { batches: 4 },
        measure: xs,
        keep: 'patterns',
        live: liveLog({ dir, name: 'mlp' }),
      })
      const shown = async (): Promise<number> =>
        Number(/(\d+) measurements?/.exec((await page.textContent('.status').catch(() => '')) ?? '')?.[1] ?? 0)
      await model.fit(xs, ys, { epochs: 2, batchSize: 8, verbose: 0, callbacks: [schedule] })
      const first = schedule.timeline.entries.length
      await page.waitForFunction(
        (n) => /(\d+) measurements?/.exec(document.querySelector('.status')?.textContent ?? '')?.[1] === String(n),
        first,
        { timeout: 10_000 },
      )
      expect(await shown()).toBe(first)
      // the site heatmap has a column per measurement
      const columns = async (): Promise<number> =>
        page.$$eval('svg title', (ts) => ts.filter((t) => t.parentElement?.tagName === 'rect').length)
      const before = await columns()
      await model.fit(xs, ys, { epochs: 2, batchSize: 8, verbose: 0, callbacks: [schedule] })
      const second = schedule.timeline.entries.length
      expect(second).toBeGreaterThan(first)
      await page.waitForFunction(
        (n) => /(\d+) measurements?/.exec(document.querySelector('.status')?.textContent ?? '')?.[1] === String(n),
        second,
        { timeout: 10_000 },
      )
      expect(await columns()).toBeGreaterThan(before)
      // a picker re-draws at once
      await page.selectOption('select[data-view="metric"]', 'vsPrevious.flipRate')
      await page.waitForFunction(() => document.querySelector('h2')?.textContent?.includes('flip rate') === true, undefined, {
        timeout: 5000,
      })
      mkdirSync(join(__dirname, 'out'), { recursive: true })
      await page.screenshot({ path: join(__dirname, 'out', 'live-page.png'), fullPage: true })
      expect(errors).toEqual([])
      expect(requests.filter((u) => !u.startsWith(w.url))).toEqual([])
      probe.dispose()
      tf.dispose([xs, ys])
    } finally {
      await page.close()
      await w.close()
    }
  },
  120_000,
)
