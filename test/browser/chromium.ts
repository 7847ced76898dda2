// Headless Chromium (Debian's /usr/bin/chromium) driven by playwright-core, and a static
// server on 127.0.0.1 for the pages it loads.
import { existsSync } from 'node:fs'
import { type Server, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type Browser, chromium } from 'playwright-core'

export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium'
export const hasChromium = existsSync(CHROMIUM)

/** Why browser tests are skipped here, or null when they run. */
export const skipReason =
  hasChromium || process.env['CI'] === 'true'
    ? null
    : `skipped: no Chromium at ${CHROMIUM}; install it (apt-get install chromium) or set CHROMIUM_PATH`

/** Registers one skipped test whose title says why the browser tests of a file do not run. */
export function sayWhySkipped(test: { skip: (title: string, fn: () => void) => void }): void {
  if (skipReason === null) return
  console.warn(`browser tests ${skipReason}`)
  test.skip(skipReason, () => undefined)
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless=new',
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
      '--disable-quic',
      '--use-gl=angle',
      '--use-angle=swiftshader',
      '--enable-unsafe-swiftshader',
    ],
  })
}

/** Serves `files` (path -> [content type, body]) on 127.0.0.1 at a free port. */
export async function serve(files: Map<string, [string, string | Uint8Array]>): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname
    const file = files.get(path === '/' ? '/index.html' : path)
    if (file === undefined) {
      res.writeHead(404).end()
      return
    }
    res.writeHead(200, { 'content-type': file[0] }).end(file[1])
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) }
}

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.bin': 'application/octet-stream',
  '.svg': 'image/svg+xml',
}

/** Every file below `dir`, keyed by URL path, ready for {@link serve}. */
export async function directory(dir: string): Promise<Map<string, [string, Uint8Array]>> {
  const { readdir, readFile } = await import('node:fs/promises')
  const { extname, join, relative } = await import('node:path')
  const files = new Map<string, [string, Uint8Array]>()
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name)
      if (e.isDirectory()) await walk(p)
      else files.set(`/${relative(dir, p)}`, [TYPES[extname(p)] ?? 'application/octet-stream', await readFile(p)])
    }
  }
  await walk(dir)
  return files
}
