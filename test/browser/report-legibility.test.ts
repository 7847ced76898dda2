import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { main } from '../../src/cli/main.js'
import { hasChromium, launchChromium, sayWhySkipped } from './chromium.js'

/*
 * The report of a real 76-site converted graph model (blazepose-full, ids of 60-90
 * characters), read as a person would at 1400 px: nothing runs off the page, no two
 * labels of a chart overlap, every chart says what its colours and axes mean.
 */
sayWhySkipped(test)

const run = hasChromium || process.env['CI'] === 'true'
const modules = join(__dirname, '..', '..', 'node_modules', '@vladmandic')
const MODEL = join(modules, 'human-models', 'models', 'blazepose-full.json')
// photographs and screenshots with people in them, shipped by @vladmandic/human
const IMAGES = join(modules, 'human', 'assets')
let browser: Browser
let dir = ''
let page: Page

beforeAll(async () => {
  if (!run) return
  dir = mkdtempSync(join(tmpdir(), 'relu-legible-'))
  const err: string[] = []
  const code = await main(['report', MODEL, '--data', IMAGES, '--limit', '3', '--out', dir, '--backend', 'wasm', '--against', MODEL], {
    stdout: () => undefined,
    stderr: (t) => void err.push(t),
    tty: false,
  })
  expect(code, err.join('')).toBe(0)
  browser = await launchChromium()
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
  await page.goto(`file://${join(dir, 'index.html')}`)
}, 180_000)

afterAll(async () => {
  await browser?.close()
  if (dir !== '') rmSync(dir, { recursive: true, force: true })
})

test.runIf(run)('a 76-site model: nothing overflows the page at 1400 px, ids are shortened with the full id on hover', async () => {
  const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as { sites: { id: string }[] }
  expect(report.sites.length).toBeGreaterThanOrEqual(50)
  const { scroll, client } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    client: document.documentElement.clientWidth,
  }))
  expect(scroll).toBeLessThanOrEqual(client)
  // every element wider than the page sits inside a scroll container
  const wide = await page.evaluate(() =>
    Array.from(document.body.querySelectorAll('*'))
      .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1 && e.closest('.scroll') === null)
      .map((e) => e.tagName),
  )
  expect(wide).toEqual([])
  const titles = await page.$$eval('#summary tbody td:first-child', (tds) => tds.map((td) => td.getAttribute('title')))
  expect(titles.sort()).toEqual(report.sites.map((s) => s.id).sort())
  const shown = await page.$$eval('#summary tbody td:first-child', (tds) => tds.map((td) => td.textContent ?? ''))
  expect(Math.max(...shown.map((s) => s.length))).toBeLessThan(Math.max(...report.sites.map((s) => s.id.length)))
})

test.runIf(run)('no two labels of any chart overlap, and every chart has its scale', async () => {
  const overlaps = await page.$$eval('svg', (svgs) => {
    const out: string[] = []
    for (const svg of svgs) {
      const boxes = Array.from(svg.querySelectorAll('text'))
        .map((t) => ({ t: t.textContent ?? '', r: t.getBoundingClientRect() }))
        .filter((b) => b.r.width > 0)
      for (let i = 0; i < boxes.length; i++) {
        for (let j = i + 1; j < boxes.length; j++) {
          const [a, b] = [boxes[i]!.r, boxes[j]!.r]
          const x = Math.min(a.right, b.right) - Math.max(a.left, b.left)
          const y = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top)
          if (x > 1 && y > 1) out.push(`${boxes[i]!.t} / ${boxes[j]!.t}`)
        }
      }
    }
    return out
  })
  expect(overlaps).toEqual([])
  // the colour scale of the unit strips, and of the comparison's
  expect(await page.$$eval('svg.legend-bar', (s) => s.length)).toBeGreaterThanOrEqual(2)
  // the depth chart: its axis title and series legend
  const depth = await page.$eval(
    'svg[role=img] title',
    () =>
      Array.from(document.querySelectorAll('svg')).find((s) => s.querySelector('title')?.textContent === 'entropy by depth')!.textContent ??
      '',
  )
  expect(depth).toContain('site, in model order')
  expect(depth).toContain('normalised pattern entropy')
  // rank plots: decade ticks and axis titles
  const rank = await page.$$eval('svg', (svgs) =>
    svgs.filter((s) => s.querySelector('title')?.textContent === 'pattern frequency by rank').map((s) => s.textContent ?? ''),
  )
  expect(rank.length).toBeGreaterThan(50)
  for (const r of rank) expect(r).toMatch(/rank of the pattern.*rows \(log\)/)
  // the comparison has its glossary
  expect(await page.textContent('body')).toContain('Shared distinct patterns over all distinct patterns of both')
})

test.runIf(run)('what stands out is grouped by kind with counts, the strongest five shown and the rest folded', async () => {
  const groups = await page.$$eval('h2 + h3, h3', (hs) => hs.map((h) => h.textContent ?? '').filter((t) => /\(\d+ sites?\)$/.test(t)))
  expect(groups.length).toBeGreaterThan(0)
  const lists = await page.$$eval('ul.stands', (uls) => uls.filter((u) => u.closest('details') === null).map((u) => u.children.length))
  for (const n of lists) expect(n).toBeLessThanOrEqual(5)
})
