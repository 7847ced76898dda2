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
  await expect(
    webWorkerPool(probe, {
      worker: () => {
        throw new Error('no script here')
      },
      workers: 1,
    }),
  ).rejects.toMatchObject({ code: 'RECORD_FAILED', message: expect.stringContaining('the worker factory threw: no script here') })
  await expect(webWorkerPool(probe, { worker: () => ({}) as never, workers: 1 })).rejects.toMatchObject({
    code: 'RECORD_FAILED',
    message: expect.stringContaining('not a Worker'),
  })
  probe.dispose()
})

test('a reducer spec whose options cannot be cloned is INVALID_OPTION, not a DataCloneError', async () => {
  const base = unitStats()
  const odd: Reducer<unknown, unknown> = {
    ...(base as unknown as Reducer<unknown, unknown>),
    spec: { module: 'relu-patterns', factory: 'unitStats', options: { f: () => 1 } },
  }
  const probe = instrument(mlp(), { reducers: { odd } })
  const worker = () => ({ postMessage: () => undefined, addEventListener: () => undefined, terminate: () => undefined })
  await expect(webWorkerPool(probe, { worker, workers: 1, timeout: 50 })).rejects.toMatchObject({
    code: 'INVALID_OPTION',
    message: expect.stringContaining('cannot be sent to a worker'),
  })
  probe.dispose()
})

test('messages name the call the user made and the value the user gave', async () => {
  const { measureInWorkers } = await import('../../src/workers/index.js')
  const { tf } = await import('../helpers/tf.js')
  const probe = instrument(mlp(), { reducers: { units: unitStats() } })
  const x = tf.zeros([10, 12])
  await expect(measureInWorkers(probe, x, { workres: 2 } as never)).rejects.toMatchObject({
    code: 'INVALID_OPTION',
    message: expect.stringContaining('Did you mean "workers"? Valid options: workers, batchSize, training, labels.'),
  })
  await expect(measureInWorkers(probe, x, { workers: 200, batchSize: 4 })).rejects.toMatchObject({
    code: 'INVALID_OPTION',
    message: expect.stringContaining('not 200'),
  })
  await expect(probe.measureStates(x, { batchSize: 0 })).rejects.toMatchObject({
    code: 'INVALID_OPTION',
    message: expect.stringContaining('probe.measureStates(x, options): batchSize must be a positive integer, not 0.'),
  })
  await expect(probe.measureStates(x, { bogus: 1 } as never)).rejects.toMatchObject({
    message: expect.stringContaining('probe.measureStates(x, options)'),
  })
  const { patterns } = probe.capture(() =>
    (probe.model as unknown as { predict: (t: unknown) => { dispose(): void } }).predict(x).dispose(),
  )
  const ids = probe.sites.map((s) => s.id)
  probe.dispose()
  // read as the pass ran (cpu): the patterns are whole, and disposing after does not take them back
  const whole = await patterns
  expect(Object.keys(whole ?? {})).toEqual(ids)
  x.dispose()
})

test("a worker's failure does not tell the user to call reset() on a probe they do not hold", async () => {
  const { failure } = await import('../../src/workers/serve.js')
  const { InstrumentError } = await import('../../src/index.js')
  const reply = failure(
    new InstrumentError(
      'REDUCER_FAILED',
      'Reducer "x" failed. Recording of this stream has stopped; fix the reducer, then call reset() to record again.',
    ),
  )
  expect(reply).toEqual({
    code: 'REDUCER_FAILED',
    error:
      'InstrumentError: Reducer "x" failed. Recording of this stream has stopped; fix the reducer, then measure again (the pool\'s measure failed in a worker).',
  })
})

test('a factory that hands out the same worker twice, and a worker whose postMessage throws, fail coded and at once', async () => {
  const probe = instrument(mlp(), { reducers: { units: unitStats() } })
  const listeners: ((e: { data: unknown }) => void)[] = []
  const one = {
    postMessage: () => undefined,
    addEventListener: (t: string, f: (e: { data: unknown }) => void) => void (t === 'message' && listeners.push(f)),
    terminate: () => undefined,
  }
  await expect(webWorkerPool(probe, { worker: () => one, workers: 2, timeout: 200 })).rejects.toMatchObject({
    code: 'RECORD_FAILED',
    message: expect.stringContaining('the same worker twice'),
  })
  const throwing = () => {
    const self: {
      postMessage: () => never
      addEventListener: (t: string, f: (e: { data: unknown }) => void) => void
      terminate: () => void
    } = {
      postMessage: () => {
        throw new Error('DataCloneError')
      },
      addEventListener: (t, f) => {
        if (t === 'message') setTimeout(() => f({ data: { hello: true } }), 1)
      },
      terminate: () => undefined,
    }
    return self
  }
  await expect(webWorkerPool(probe, { worker: throwing, workers: 1, timeout: 5000 })).rejects.toMatchObject({ code: 'RECORD_FAILED' })
  probe.dispose()
})
