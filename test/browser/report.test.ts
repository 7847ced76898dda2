import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { main } from '../../src/cli/main.js'
import { hasChromium, launchChromium, sayWhySkipped } from './chromium.js'

sayWhySkipped(test)

// In CI Chromium is installed by .ci/run and this must run; elsewhere it is skipped when
// Chromium is missing (set CHROMIUM_PATH, or apt-get install chromium).
const run = hasChromium || process.env['CI'] === 'true'
const MODEL = join(__dirname, '..', '..', 'examples', 'third-party-model', 'model', 'model.json')
let browser: Browser
let dir = ''

beforeAll(async () => {
  if (!run) return
  dir = mkdtempSync(join(tmpdir(), 'relu-report-'))
  const code = await main(['report', MODEL, '--data', 'mnist', '--limit', '200', '--out', dir], {
    stdout: () => undefined,
    stderr: () => undefined,
    tty: false,
  })
  expect(code).toBe(0)
  browser = await launchChromium()
}, 120_000)

afterAll(async () => {
  await browser?.close()
  if (dir !== '') rmSync(dir, { recursive: true, force: true })
})

test.runIf(run)('the CLI report opens from disk in headless Chromium with no console error, shows every site, and sorts', async () => {
  const page = await browser.newPage({ viewport: { width: 1000, height: 800 } })
  const errors: string[] = []
  const requests: string[] = []
  page.on('pageerror', (e) => errors.push(String(e)))
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text())
  })
  page.on('request', (r) => requests.push(r.url()))
  await page.goto(`file://${join(dir, 'index.html')}`)
  const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as { sites: { id: string }[] }
  const headings = await page.$$eval('section.site h3', (hs) => hs.map((h) => h.textContent))
  expect(headings).toEqual(report.sites.map((s) => s.id))
  expect(await page.textContent('h1')).toContain('ReLU patterns of')
  expect(await page.$$eval('#summary tbody tr', (rows) => rows.length)).toBe(report.sites.length)
  // sorting by "distinct" (descending on the second click)
  const col = await page.$$eval('#summary th', (ths) => ths.findIndex((t) => t.textContent === 'distinct'))
  await page.click(`#summary th:nth-child(${col + 1})`)
  await page.click(`#summary th:nth-child(${col + 1})`)
  const values = await page.$$eval(`#summary tbody tr td:nth-child(${col + 1})`, (tds) => tds.map((t) => Number(t.textContent)))
  expect(values).toEqual([...values].sort((a, b) => b - a))
  expect(await page.$$eval('svg', (s) => s.length)).toBeGreaterThan(report.sites.length * 2)
  expect(errors).toEqual([])
  expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([]) // nothing from the network
})
