// Runs a bundled page in headless Chromium (Debian's, WebGL on SwiftShader, as the
// browser tests do) and returns what it leaves in window.__result.
import { createServer } from 'node:http'
import { fileURLToPath } from 'node:url'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/**
 * Bundles `source` (an ES module resolved from `dir`), serves it on 127.0.0.1, opens it
 * and waits up to `timeoutMs` for `window.__result`.
 */
export async function runInChromium(source, dir, { timeoutMs = 1_200_000 } = {}) {
  const { build } = await import('esbuild')
  const { chromium } = await import('playwright-core')
  const bundle = await build({
    stdin: { contents: source, resolveDir: fileURLToPath(dir), loader: 'js' },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  })
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
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless=new',
      '--no-sandbox',
      '--disable-background-networking',
      '--use-gl=angle',
      '--use-angle=swiftshader',
      '--enable-unsafe-swiftshader',
    ],
  })
  try {
    const page = await browser.newPage()
    const errors = []
    page.on('pageerror', (e) => errors.push(String(e)))
    await page.goto(`http://127.0.0.1:${server.address().port}/`)
    await page.waitForFunction(() => window.__result !== undefined || window.__error !== undefined, undefined, {
      timeout: timeoutMs,
      polling: 1000,
    })
    const { result, error } = await page.evaluate(() => ({ result: window.__result, error: window.__error }))
    if (error !== undefined || errors.length > 0) throw new Error(`page failed: ${error ?? errors.join('; ')}`)
    return result
  } finally {
    await browser.close()
    server.close()
  }
}
