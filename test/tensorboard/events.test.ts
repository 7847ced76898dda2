import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { instrument, summarize, trainingCallback } from '../../src/index.js'
import { crc32c } from '../../src/tensorboard/crc32c.js'
import { tensorboardLog } from '../../src/tensorboard/index.js'
import { data, mlp } from '../helpers/models.js'
import { tf } from '../helpers/tf.js'

/** What the independent reader (Python, standard library) decodes of event files; it checks every record's CRCs. */
interface Value {
  tag: string
  simple_value?: number
  histo?: { min: number; max: number; num: number; sum: number; sum_squares: number; bucket_limit: number[]; bucket: number[] }
}
interface Event {
  wall_time: number
  step?: number
  file_version?: string
  values?: Value[]
}
const READER = join(__dirname, 'read_events.py')
const read = (path: string): Event[] => (JSON.parse(execFileSync('python3', [READER, path], { encoding: 'utf8' })) as Event[][])[0]!

const dir = mkdtempSync(join(tmpdir(), 'relu-tb-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('TensorBoard event files from plain JavaScript', () => {
  test('CRC-32C is the Castagnoli checksum (the standard check value)', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283)
  })

  test('records decode with an independent reader: version first, scalars as float32, histograms with their buckets', () => {
    const log = tensorboardLog({ host: 'test host' })
    log.scalar('a/b', 3, 0.1, 1000.5)
    log.histogram('h', 4, [0, 0.25, 0.5, 1, 1], undefined, 1001)
    const path = join(dir, log.fileName)
    writeFileSync(path, log.bytes())
    expect(log.fileName).toMatch(/^events\.out\.tfevents\.\d+\.test_host$/)
    const [version, scalar, histo] = read(path)
    expect(version!.file_version).toBe('brain.Event:2')
    expect(scalar).toEqual({ wall_time: 1000.5, step: 3, values: [{ tag: 'a/b', simple_value: Math.fround(0.1) }] })
    const h = histo!.values![0]!.histo!
    expect(h).toMatchObject({ min: 0, max: 1, num: 5, sum: 2.75, sum_squares: 2.3125 })
    expect(h.bucket_limit).toHaveLength(20)
    expect(h.bucket_limit.at(-1)).toBe(1)
    // 0 in the first bucket, 0.25 in the fifth (0.2, 0.25], 0.5 in the tenth, the two 1s in the last
    expect(h.bucket.map((c, i) => [i, c]).filter(([, c]) => c! > 0)).toEqual([
      [0, 1],
      [4, 1],
      [9, 1],
      [19, 2],
    ])
    // take() hands out each record once, so appending its chunks rebuilds the file
    const parts = [log.take(), log.take()]
    expect(parts[1]!.length).toBe(0)
    expect(Buffer.concat(parts)).toEqual(Buffer.from(log.bytes()))
  })

  test('a flipped byte is caught by the reader (it checks what it claims to)', () => {
    const log = tensorboardLog()
    log.scalar('x', 1, 2)
    const bytes = log.bytes()
    bytes[bytes.length - 6]! ^= 1
    const path = join(dir, 'corrupt.tfevents')
    writeFileSync(path, bytes)
    expect(() => read(path)).toThrow(/CRC/)
  })

  test('a real fit writes, as it runs, the timeline numbers and the fit logs that TensorBoard shows', async () => {
    const model = mlp(8)
    model.compile({ optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy', metrics: ['accuracy'] })
    const probe = instrument(model)
    const { xs, ys } = data(32, 12, 3, 12)
    const log = tensorboardLog({ dir: join(dir, 'run1') })
    const schedule = trainingCallback(probe, { every: { epochs: 1 }, measure: xs, keep: 'patterns', tensorboard: log })
    const start = tf.memory().numTensors
    const history = await model.fit(xs, ys, { epochs: 2, batchSize: 8, verbose: 0, callbacks: [schedule] })
    expect(tf.memory().numTensors).toBeLessThanOrEqual(start + 4) // the history's loss and accuracy scalars
    const files = readdirSync(join(dir, 'run1'))
    expect(files).toEqual([log.fileName])
    const events = read(join(dir, 'run1', files[0]!))
    const scalars = new Map<string, number>()
    for (const e of events)
      for (const v of e.values ?? []) if (v.simple_value !== undefined) scalars.set(`${v.tag}@${e.step}`, v.simple_value)
    const entries = schedule.timeline.entries
    expect(entries.map((e) => e.step)).toEqual([0, 4, 8])
    for (const entry of entries) {
      for (const row of summarize(entry.results)) {
        expect(scalars.get(`${row.site}/normalizedEntropy@${entry.step}`)).toBe(Math.fround(row.normalizedEntropy!))
        expect(scalars.get(`${row.site}/meanEntropy@${entry.step}`)).toBe(Math.fround(row.meanEntropy!))
        expect(scalars.get(`${row.site}/distinct@${entry.step}`)).toBe(row.distinct)
        expect(scalars.get(`${row.site}/deadShare@${entry.step}`)).toBe(Math.fround(row.dead! / row.units))
      }
    }
    const last = entries.length - 1
    const site = probe.sites[0]!.id
    const vsPrevious = schedule.timeline.compareEntry(last, 'previous')![site] as { flipRate: number; weightedJaccard: number }
    expect(scalars.get(`${site}/vsPrevious/flipRate@8`)).toBe(Math.fround(vsPrevious.flipRate))
    expect(scalars.get(`${site}/vsPrevious/weightedJaccard@8`)).toBe(Math.fround(vsPrevious.weightedJaccard))
    // fit's own loss and accuracy at each epoch's end, as History has them
    expect(scalars.get('fit/loss@4')).toBe(Math.fround(history.history['loss']![0] as number))
    expect(scalars.get('fit/acc@8')).toBe(Math.fround(history.history['acc']![1] as number))
    // a histogram of how often each unit is on, one per site and point
    const histos = events.flatMap((e) => (e.values ?? []).filter((v) => v.histo !== undefined).map((v) => `${v.tag}@${e.step}`))
    expect(histos).toContain(`${site}/unitOnShare@0`)
    expect(readFileSync(join(dir, 'run1', files[0]!)).length).toBe(log.bytes().length)
    probe.dispose()
    tf.dispose([xs, ys])
  })
})

test('bucket edges: a value on an edge falls in the bucket that edge closes, for any count', async () => {
  const { shareBuckets } = await import('../../src/tensorboard/index.js')
  for (const count of [20, 25, 50, 100]) {
    for (let k = 1; k <= count; k++) {
      const { counts } = shareBuckets([k / count], count)
      expect(counts.indexOf(1), `${k}/${count}`).toBe(k - 1)
    }
  }
  expect(() => shareBuckets([1.5])).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
  expect(() => tensorboardLog({ dir: '' })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
})
