import { beforeAll, expect, test } from 'vitest'
import { instrument, unitStats } from '../../src/index.js'
import type { Reducer } from '../../src/index.js'
import { webWorkerPool } from '../../src/workers/web.js'
import { mlp } from '../helpers/models.js'
import { useCpu } from '../helpers/tf.js'

beforeAll(useCpu)

/*
 * What a web worker pool refuses before any worker runs, in Node (the pool's own tests
 * run in headless Chromium): a factory that throws or makes no worker is RECORD_FAILED, a
 * reducer option that cannot be sent to a worker INVALID_OPTION, each coded.
 */
test('a worker factory that throws, or that returns no worker, is RECORD_FAILED', async () => {
  const probe = instrument(mlp(), { reducers: { units: unitStats() } })
  await expect(webWorkerPool(probe, { worker: () => { throw new Error('no script here') }, workers: 1 })).rejects.toMatchObject({ code: 'RECORD_FAILED', message: expect.stringContaining('the worker factory threw: no script here') })
  await expect(webWorkerPool(probe, { worker: () => ({}) as never, workers: 1 })).rejects.toMatchObject({ code: 'RECORD_FAILED', message: expect.stringContaining('not a Worker') })
  probe.dispose()
})

test('a reducer spec whose options cannot be cloned is INVALID_OPTION, not a DataCloneError', async () => {
  const base = unitStats()
  const odd: Reducer<unknown, unknown> = { ...(base as unknown as Reducer<unknown, unknown>), spec: { module: 'relu-patterns', factory: 'unitStats', options: { f: () => 1 } } }
  const probe = instrument(mlp(), { reducers: { odd } })
  const worker = () => ({ postMessage: () => undefined, addEventListener: () => undefined, terminate: () => undefined })
  await expect(webWorkerPool(probe, { worker, workers: 1, timeout: 50 })).rejects.toMatchObject({ code: 'INVALID_OPTION', message: expect.stringContaining('cannot be sent to a worker') })
  probe.dispose()
})
