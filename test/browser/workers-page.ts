// Runs inside headless Chromium (bundled by web-workers.test.ts): a pool of two web workers
// against probe.measure on cpu and wasm, as the weights change; reports to window.__report.
import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-cpu'
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm'
import * as tfl from '@tensorflow/tfjs-layers'
import { InstrumentError, type Reducer, hamming, instrument, patternHistogram, serialize, unitStats } from '../../src/index.js'
import { webWorkerPool } from '../../src/workers/web.js'
import { lookalike, rowCount } from './row-count.js'

interface Check {
  name: string
  ok: boolean
  detail: string
}
const checks: Check[] = []
const check = (name: string, ok: boolean, detail = ''): void => void checks.push({ name, ok, detail })
const worker =
  (query = '') =>
  () =>
    new Worker(`/probe-worker.js${query}`, { type: 'module' })
const codeOf = (e: unknown): string => (e instanceof InstrumentError ? `${e.code}: ${e.message}` : String(e))

function convNet(seed: number): tfl.Sequential {
  const init = (s: number) => tfl.initializers.glorotUniform({ seed: seed + s })
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        inputShape: [8, 8, 2],
        filters: 6,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: init(1),
      }),
      tfl.layers.conv2d({ filters: 5, kernelSize: 3, strides: 2, activation: 'relu', kernelInitializer: init(2) }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 7, activation: 'relu', kernelInitializer: init(3) }),
      tfl.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: init(4) }),
    ],
  })
  return model
}

async function onBackend(backend: string): Promise<void> {
  await tf.setBackend(backend)
  const model = convNet(1)
  const probe = instrument(model, { reducers: { units: unitStats(), patterns: patternHistogram(), pairs: hamming({ maxPairs: 50 }) } })
  const xs = tf.randomUniform([100, 8, 8, 2], -1, 1, 'float32', 5)
  const labels = Array.from({ length: 100 }, (_, i) => (i * 7) % 3)
  const tensors = tf.memory().numTensors
  const pool = await webWorkerPool(probe, { workers: 2, worker: worker() })
  check(`${backend}: the pool has two workers`, pool.workers === 2, String(pool.workers))
  for (const step of [0, 1]) {
    const single = serialize(await probe.measure(xs, { batchSize: 16, labels }))
    const parallel = serialize(await pool.measure(xs, { batchSize: 16, labels }))
    check(
      `${backend}: pool results equal probe.measure exactly (${step === 0 ? 'as made' : 'after the weights changed'})`,
      single === parallel,
      `${single.length} against ${parallel.length} characters`,
    )
    // new weights (wasm has no convolution filter gradient, so not by fit)
    tf.tidy(() => model.setWeights(model.getWeights().map((w, i) => tf.add(w, tf.randomNormal(w.shape, 0, 0.2, 'float32', 10 + i)))))
  }
  await pool.close()
  let closed = 'no error'
  await pool.measure(xs).catch((e: unknown) => void (closed = e instanceof InstrumentError ? e.code : String(e)))
  check(`${backend}: a closed pool refuses to measure`, closed === 'DISPOSED', closed)
  check(`${backend}: no tensor leaked on the page`, tf.memory().numTensors === tensors + 0, `${tf.memory().numTensors - tensors} more`)
  probe.dispose()
  model.dispose()
  xs.dispose()
}

async function refusals(): Promise<void> {
  await tf.setBackend('cpu')
  const model = convNet(2)
  const noSpec: Reducer<number, number> = {
    name: 'count',
    init: () => 0,
    update: (s, b) => s + b.rows,
    merge: (a, b) => a + b,
    result: (s) => s,
  }
  const bare = instrument(model, { reducers: { count: noSpec } })
  let code = 'no error'
  await webWorkerPool(bare, { worker: worker() }).catch((e: unknown) => void (code = codeOf(e)))
  check('a reducer without a spec is refused before any worker starts', code.startsWith('INVALID_OPTION') && code.includes('spec'), code)
  let typo = 'no error'
  await webWorkerPool(bare, { worker: worker(), workerz: 2 } as never).catch((e: unknown) => void (typo = codeOf(e)))
  check('an unknown option is refused', typo.startsWith('INVALID_OPTION'), typo)
  bare.dispose()
  model.dispose()
}

/** Worker scripts that await before serving, never serve, or bring custom reducers; factories that fail. */
async function scripts(): Promise<void> {
  await tf.setBackend('cpu')
  const model = convNet(3)
  const xs = tf.randomUniform([40, 8, 8, 2], -1, 1, 'float32', 6)
  const probe = instrument(model, { reducers: { units: unitStats(), rows: rowCount() } })
  const single = serialize(await probe.measure(xs, { batchSize: 8 }))

  const late = await webWorkerPool(probe, { workers: 2, worker: worker('?late&custom') })
  check('a script that awaits before serveWorker() still gets its setup', serialize(await late.measure(xs, { batchSize: 8 })) === single)
  await late.close()

  const chatty = await webWorkerPool(probe, { workers: 1, worker: worker('?chatty&custom'), timeout: Infinity })
  check(
    'a script posting its own messages, and timeout Infinity (no timer)',
    serialize(await chatty.measure(xs, { batchSize: 8 })) === single,
  )
  await chatty.close()

  let long = 'no error'
  await webWorkerPool(probe, { worker: worker(), timeout: 2 ** 31 }).catch((e: unknown) => void (long = codeOf(e)))
  check('a timeout setTimeout cannot hold is refused', long.startsWith('INVALID_OPTION'), long)

  let never = 'no error'
  const t0 = performance.now()
  await webWorkerPool(probe, { workers: 1, worker: worker('?never'), timeout: 1500 }).catch((e: unknown) => void (never = codeOf(e)))
  check(
    'a script that never serves fails the start after the timeout',
    never.startsWith('RECORD_FAILED') && never.includes('serveWorker()') && performance.now() - t0 < 10_000,
    never,
  )

  let missing = 'no error'
  await webWorkerPool(probe, { workers: 1, worker: worker() }).catch((e: unknown) => void (missing = codeOf(e)))
  check(
    'a custom reducer the worker was not given fails the start',
    missing.startsWith('RECORD_FAILED') && missing.includes('serveWorker({ reducers'),
    missing,
  )

  const twin = instrument(convNet(4), { reducers: { rows: lookalike() } })
  let swapped = 'no error'
  await webWorkerPool(twin, { workers: 1, worker: worker('?custom') }).catch((e: unknown) => void (swapped = codeOf(e)))
  check(
    'a custom spec named like a built-in is not served by the built-in',
    swapped.startsWith('RECORD_FAILED') && swapped.includes('unitStats'),
    swapped,
  )
  twin.dispose()

  const made: Worker[] = []
  let calls = 0
  const flaky = () => {
    if (++calls === 2) throw new Error('no more workers')
    const w = new Worker('/probe-worker.js?custom', { type: 'module' })
    made.push(w)
    const terminate = w.terminate.bind(w)
    w.terminate = () => {
      terminated++
      terminate()
    }
    return w
  }
  let terminated = 0
  let flakyError = 'no error'
  await webWorkerPool(probe, { workers: 3, worker: flaky }).catch((e: unknown) => void (flakyError = codeOf(e)))
  check(
    'a factory failing part way stops the workers it made',
    flakyError.includes('no more workers') && made.length === 1 && terminated === 1,
    `${flakyError}; made ${made.length}, terminated ${terminated}`,
  )

  probe.dispose()
  model.dispose()
  xs.dispose()
}

async function main(): Promise<void> {
  setWasmPaths('/')
  await import('@tensorflow/tfjs-backend-wasm')
  for (const backend of ['cpu', 'wasm']) await onBackend(backend)
  await refusals()
  await scripts()
}

main().then(
  () => void ((window as unknown as { __report: Check[] }).__report = checks),
  (e: unknown) =>
    void ((window as unknown as { __report: Check[] }).__report = [
      ...checks,
      { name: 'page ran to the end', ok: false, detail: String(e instanceof Error ? e.stack : e) },
    ]),
)
