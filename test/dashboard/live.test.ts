import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, test } from 'vitest'
import { watch } from '../../src/cli/watch.js'
import { dashboardHtml, liveLog, parseRun } from '../../src/dashboard/index.js'
import { instrument, summarize, trainingCallback } from '../../src/index.js'
import { data, mlp } from '../helpers/models.js'
import { tf } from '../helpers/tf.js'

const dir = mkdtempSync(join(tmpdir(), 'relu-live-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
afterEach(() => tf.disposeVariables())

/** A short fit writing its live log to `runs`. */
async function train(runs: string, name: string, seed: number): Promise<ReturnType<typeof trainingCallback>> {
  const model = mlp(seed)
  const probe = instrument(model)
  const { xs, ys } = data(32, 12, 3, seed + 20)
  const schedule = trainingCallback(probe, { every: { epochs: 1 }, measure: xs, keep: 'patterns', live: liveLog({ dir: runs, name }) })
  await model.fit(xs, ys, { epochs: 2, batchSize: 8, verbose: 0, callbacks: [schedule] })
  probe.dispose()
  tf.dispose([xs, ys])
  return schedule
}

describe('the live log and the view', () => {
  test('each point lands as a line holding the timeline numbers; the view draws every point and run', async () => {
    const runs = join(dir, 'a')
    const schedule = await train(runs, 'first', 3)
    await train(runs, 'second', 4)
    expect(readdirSync(runs).sort()).toEqual(['first.jsonl', 'second.jsonl'])
    const run = parseRun('first', readFileSync(join(runs, 'first.jsonl'), 'utf8'))
    const entries = schedule.timeline.entries
    expect(run.points.map((p) => p.step)).toEqual(entries.map((e) => e.step))
    entries.forEach((e, i) => {
      for (const row of summarize(e.results)) {
        const s = run.points[i]!.sites[row.site]!
        expect(s.normalizedEntropy).toBe(row.normalizedEntropy)
        expect(s.dead).toBe(row.dead)
        expect(s.frequency).toHaveLength(row.units)
      }
    })
    const site = Object.keys(run.points[0]!.sites)[0]!
    const last = entries.length - 1
    expect(run.points[last]!.sites[site]!.vsPrevious!.flipRate).toBe(
      (schedule.timeline.compareEntry(last, 'previous')![site] as { flipRate: number }).flipRate,
    )
    expect(run.logs.map((l) => l.step)).toEqual([4, 8]) // fit's loss at each epoch's end
    const html = dashboardHtml([run, parseRun('second', readFileSync(join(runs, 'second.jsonl'), 'utf8'))], {
      metric: 'vsPrevious.flipRate',
      site,
      run: null,
    })
    // one cell per site and point in the site heatmap, a picker with the chosen metric, both runs in the lines
    expect(html).toContain('<option value="vsPrevious.flipRate" selected>')
    expect(html).toContain('first: 3 measurements')
    expect(html.match(/<polyline/g)!.length).toBeGreaterThanOrEqual(2)
    expect(html).toContain('second')
    expect(html).toContain('What stands out now')
  })

  test('a half-written last line is waited for; a damaged earlier line is CORRUPT_DATA', () => {
    const point = JSON.stringify({ type: 'point', step: 0, epoch: null, examples: null, label: null, sites: {} })
    expect(parseRun('r', `${point}\n{"type":"po`).points).toHaveLength(1)
    expect(() => parseRun('r', `{"type":"po\n${point}\n`)).toThrow(expect.objectContaining({ code: 'CORRUPT_DATA' }))
  })
})

describe('relu-patterns watch', () => {
  test('serves the page and the view on 127.0.0.1 only, and nothing else', async () => {
    const runs = join(dir, 'b')
    await train(runs, 'only', 5)
    const w = await watch(runs, 0)
    try {
      expect(w.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)
      const page = await (await fetch(w.url)).text()
      expect(page).toContain('<div id="view" class="relu-dashboard">')
      // nothing on the page points off this machine
      expect(page.match(/(src|href)=["']?https?:/g)).toBeNull()
      const view = await (await fetch(`${w.url}view?metric=deadShare`)).text()
      expect(view).toContain('only: 3 measurements')
      expect((await fetch(`${w.url}elsewhere`)).status).toBe(404)
      // a name rebound to this machine by another page is refused
      const status = await new Promise<number>((resolve, reject) => {
        request(w.url, { headers: { host: 'evil.example' } }, (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        })
          .on('error', reject)
          .end()
      })
      expect(status).toBe(403)
    } finally {
      await w.close()
    }
    await expect(watch(join(dir, 'missing'), 0)).rejects.toThrow(/cannot read/)
  })
})

describe('mountDashboard', () => {
  test('draws the schedule into an element and re-draws it after each point; the undo stops it', async () => {
    const { mountDashboard } = await import('../../src/dashboard/index.js')
    const model = mlp(6)
    const probe = instrument(model)
    const { xs, ys } = data(32, 12, 3, 26)
    const schedule = trainingCallback(probe, { every: { epochs: 1 }, measure: xs })
    const drawn: string[] = []
    const element = {
      set innerHTML(html: string) {
        drawn.push(html)
      },
      get innerHTML() {
        return drawn.at(-1) ?? ''
      },
      querySelectorAll: () => [],
    }
    const unmount = mountDashboard(element, schedule as never)
    expect(drawn.at(-1)).toContain('No measurement yet')
    await model.fit(xs, ys, { epochs: 2, batchSize: 8, verbose: 0, callbacks: [schedule] })
    expect(drawn.at(-1)).toContain('this run: 3 measurements')
    const count = drawn.length
    unmount()
    await model.fit(xs, ys, { epochs: 1, batchSize: 8, verbose: 0, callbacks: [schedule] })
    expect(drawn.length).toBe(count)
    expect(() => mountDashboard({} as never, schedule as never)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
    probe.dispose()
    tf.dispose([xs, ys])
  })
})

describe('a view never stops training', () => {
  test('a sink that throws is detached and its error printed; the schedule and fit go on; a schedule without sites shows a note', async () => {
    const { vi } = await import('vitest')
    const printed = vi.spyOn(console, 'error').mockImplementation(() => undefined)
    const model = mlp(9)
    const probe = instrument(model)
    const { xs, ys } = data(32, 12, 3, 29)
    let calls = 0
    const failing = {
      point: () => {
        calls++
        throw new Error('disk full')
      },
      logs: () => undefined,
    }
    const live = liveLog()
    const schedule = trainingCallback(probe, { every: { epochs: 1 }, snapshot: true, live })
    schedule.attach(failing)
    await model.fit(xs, ys, { epochs: 2, batchSize: 8, verbose: 0, callbacks: [schedule] })
    expect(calls).toBe(1)
    expect(printed).toHaveBeenCalledWith(expect.objectContaining({ message: 'disk full' }))
    // snapshots reach the sinks; without a probe set the points hold the training stream's sites
    expect(live.run.points.map((p) => p.step)).toEqual([0, 4, 8])
    expect(() => schedule.attach({} as never)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
    expect(
      dashboardHtml([{ name: 'r', points: [{ type: 'point', step: 0, epoch: null, examples: null, label: null, sites: {} }], logs: [] }], {
        metric: 'deadShare',
        site: null,
        run: null,
      }),
    ).toContain('hold no site')
    printed.mockRestore()
    probe.dispose()
    tf.dispose([xs, ys])
  })

  test('a slow sink does not hold training up; fit resolves once its writes have settled, in order; a rejecting one is detached', async () => {
    const { vi } = await import('vitest')
    const printed = vi.spyOn(console, 'error').mockImplementation(() => undefined)
    const model = mlp(9)
    const probe = instrument(model)
    const { xs, ys } = data(32, 12, 3, 29)
    const events: string[] = []
    const slow = {
      point: (entry: { step: number }) =>
        new Promise<void>((resolve) =>
          setTimeout(() => {
            events.push(`written ${entry.step}`)
            resolve()
          }, 250),
        ),
      logs: () => undefined,
    }
    let rejected = 0
    const rejecting = { point: () => Promise.reject(new Error('socket closed')).finally(() => rejected++), logs: () => undefined }
    const schedule = trainingCallback(probe, { every: { batches: 1 }, measure: xs })
    schedule.attach(slow)
    schedule.attach(rejecting)
    const own = { onBatchEnd: async (b: number) => void events.push(`batch ${b}`) }
    await model.fit(xs, ys, { epochs: 1, batchSize: 8, verbose: 0, callbacks: [schedule, own] })
    // every batch ended before the first 250 ms write landed, and every write landed before fit resolved
    expect(events.slice(0, 4)).toEqual(['batch 0', 'batch 1', 'batch 2', 'batch 3'])
    expect(events.slice(4)).toEqual(['written 0', 'written 1', 'written 2', 'written 3', 'written 4'])
    // every point before the first rejection landed was sent to it; its error is reported once
    expect(rejected).toBeGreaterThanOrEqual(1)
    expect(printed.mock.calls.filter(([e]) => (e as Error).message === 'socket closed')).toHaveLength(1)
    printed.mockRestore()
    probe.dispose()
    tf.dispose([xs, ys])
  })

  test('records that are not what the writer writes are refused, and watch leaves that run out with the reason', async () => {
    for (const line of [
      'null',
      '{"type":"point"}',
      '{"type":"point","step":"<img>","sites":{}}',
      '{"type":"point","step":1,"epoch":"x","examples":null,"sites":{}}',
    ])
      expect(() => parseRun('r', `${line}\n`), line).toThrow(expect.objectContaining({ code: 'CORRUPT_DATA' }))
    const runs = join(dir, 'c')
    const { mkdirSync, writeFileSync } = await import('node:fs')
    mkdirSync(runs)
    writeFileSync(join(runs, '<b>x.jsonl'), 'null\n')
    const w = await watch(runs, 0)
    try {
      const view = await (await fetch(`${w.url}view`)).text()
      expect(view).toContain('Left out: &#60;b&#62;x: line 1')
      expect(view).not.toContain('<b>')
    } finally {
      await w.close()
    }
  })
})
