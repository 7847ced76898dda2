/* The watch command: a page on localhost that shows the runs a directory's live logs hold, updated as they grow. */
import { readFile, readdir, stat } from 'node:fs/promises'
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http'
import { join } from 'node:path'
import { type Run, dashboardHtml, dashboardPage, parseRun } from '../dashboard/index.js'
import { UsageError } from './usage.js'

/** A running watch server: its address, and how to stop it. */
export interface Watching {
  readonly url: string
  close(): Promise<void>
}

/** The runs of `dir` (its `*.jsonl` files), each read again only when its size or time changed. */
function runsOf(dir: string): () => Promise<Run[]> {
  const cache = new Map<string, { key: string; run: Run }>()
  return async () => {
    const names = (await readdir(dir)).filter((n) => n.endsWith('.jsonl')).sort()
    const runs: Run[] = []
    for (const name of names) {
      const path = join(dir, name)
      const s = await stat(path)
      const key = `${s.size}:${s.mtimeMs}`
      let hit = cache.get(name)
      if (hit?.key !== key) {
        // a damaged file is left out, and says why on the page; the other runs still show
        let run: Run
        try {
          run = parseRun(name.slice(0, -'.jsonl'.length), await readFile(path, 'utf8'))
        } catch (error) {
          run = {
            name: name.slice(0, -'.jsonl'.length),
            points: [],
            logs: [],
            problem: error instanceof Error ? error.message : String(error),
          }
        }
        hit = { key, run }
        cache.set(name, hit)
      }
      runs.push(hit.run)
    }
    return runs
  }
}

/** Only requests made to this machine by name or loopback address (a page elsewhere cannot rebind a name to it). */
const LOCAL_HOST = /^(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/

/**
 * Serves the live page of `dir` on 127.0.0.1 (port 0: any free one). The page asks for
 * the view every second; nothing is fetched from anywhere else.
 */
export async function watch(dir: string, port = 8787): Promise<Watching> {
  try {
    if (!(await stat(dir)).isDirectory()) throw new UsageError(`${dir} is not a directory.`)
  } catch (error) {
    if (error instanceof UsageError) throw error
    throw new UsageError(`cannot read ${dir}: give the directory the training process writes its live logs to (liveLog({ dir })).`, error)
  }
  const runs = runsOf(dir)
  const page = dashboardPage(dir)
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const send = (code: number, type: string, body: string): void => {
      res.writeHead(code, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' })
      res.end(body)
    }
    if (!LOCAL_HOST.test(req.headers.host ?? '')) return send(403, 'text/plain', 'only requests to this machine are served')
    const url = new URL(req.url ?? '/', 'http://localhost')
    if (url.pathname === '/') return send(200, 'text/html', page)
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204)
      return res.end()
    }
    if (url.pathname !== '/view') return send(404, 'text/plain', 'not found')
    runs()
      .then((all) => {
        const q = url.searchParams
        send(
          200,
          'text/html',
          dashboardHtml(all, { metric: q.get('metric') ?? 'normalizedEntropy', site: q.get('site') || null, run: q.get('run') || null }),
        )
      })
      .catch((error: unknown) =>
        send(
          500,
          'text/plain',
          `cannot read the runs: ${String(error)}`.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`),
        ),
      )
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve())
  })
  const address = server.address()
  const actual = typeof address === 'object' && address !== null ? address.port : port
  return {
    url: `http://127.0.0.1:${actual}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
