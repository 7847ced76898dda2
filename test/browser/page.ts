// Runs inside headless Chromium (bundled by browser.test.ts). Checks the library on the
// webgl and cpu backends and reports to window.__report.
import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-cpu'
import '@tensorflow/tfjs-backend-webgl'
import * as tfl from '@tensorflow/tfjs-layers'
import { InstrumentError, Monitor, type Reducer, buildMonitor, instrument, unitStats } from '../../src/index.js'
import { deviceBitsPerWord } from '../../src/record/device.js'

interface Check {
  name: string
  ok: boolean
  detail: string
}
const checks: Check[] = []
/** Facts worth printing that are not pass/fail (backend arithmetic differences). */
const stats: string[] = []
const check = (name: string, ok: boolean, detail = ''): void => {
  checks.push({ name, ok, detail })
}

interface Kept {
  rows: number
  words: number[]
}
const collect = (): Reducer<Kept, Kept> => ({
  name: 'collect',
  init: () => ({ rows: 0, words: [] }),
  update: (s, b) => {
    for (let i = 0; i < b.rows * b.wordsPerRow; i++) s.words.push(b.words[i]!)
    s.rows += b.rows
    return s
  },
  merge: (a, b) => ({ rows: a.rows + b.rows, words: [...a.words, ...b.words] }),
  result: (s) => s,
})

/** Small-integer weights and inputs: every sum is exact, so all backends agree bit for bit. */
const intInit = (seed: number) => ({
  apply: (shape: number[]) => tf.tidy(() => tf.sub(tf.floor(tf.randomUniform(shape, 0, 3, 'float32', seed)), 1)),
})

function models(): { name: string; build: () => tfl.LayersModel; input: number[]; options?: Parameters<typeof instrument>[1] }[] {
  return [
    {
      name: 'dense',
      input: [7, 12],
      build: () =>
        tfl.sequential({
          layers: [
            tfl.layers.dense({ inputShape: [12], units: 37, activation: 'relu' }),
            tfl.layers.dense({ units: 70, activation: 'relu6' }),
          ],
        }),
      options: { saturation: true },
    },
    {
      // activations computed without arithmetic: identical on every backend
      name: 'relu-only',
      input: [9, 45],
      build: () => tfl.sequential({ layers: [tfl.layers.reLU({ inputShape: [45] }), tfl.layers.activation({ activation: 'relu6' })] }),
      options: { saturation: true },
    },
    {
      name: 'conv',
      input: [3, 6, 5, 2],
      build: () =>
        tfl.sequential({
          layers: [tfl.layers.conv2d({ inputShape: [6, 5, 2], filters: 35, kernelSize: 2, activation: 'relu' }), tfl.layers.reLU()],
        }),
    },
  ]
}

/** Sets every weight to small integers (same values on any backend). */
function integerWeights(model: tfl.LayersModel, seed: number): void {
  model.setWeights(model.getWeights().map((w, i) => intInit(seed + i).apply(w.shape)))
}

async function bitsOn(backend: string, name: string, seed: number): Promise<{ bits: number[][]; on: boolean[][] }> {
  await tf.setBackend(backend)
  const spec = models().find((m) => m.name === name)!
  const model = spec.build()
  integerWeights(model, seed)
  const x = tf.tidy(() => tf.sub(tf.floor(tf.randomUniform(spec.input, 0, 5, 'float32', seed)), 2))
  const start = tf.memory().numTensors
  const probe = instrument(model, { ...spec.options, reducers: { bits: collect() } })
  const r = await probe.measure(x, { batchSize: 2 })
  probe.dispose()
  check(`${backend} ${name}: no leaked tensors after measure`, tf.memory().numTensors === start, `${start} -> ${tf.memory().numTensors}`)
  // brute force on the same backend: read each site's output as floats and test > 0 / >= cap
  const on: boolean[][] = []
  for (const [id, res] of Object.entries(r)) {
    const layerName = id.replace(/:saturated$/, '')
    const sub = tfl.model({ inputs: model.inputs, outputs: model.getLayer(layerName).output as never })
    const y = sub.predict(x) as tf.Tensor
    const v = await y.data()
    y.dispose()
    const units = y.shape[y.shape.length - 1]!
    const cap = id.endsWith(':saturated') ? (model.getLayer(layerName).getConfig()['activation'] === 'relu6' ? 6 : 0) : null
    const wpr = Math.ceil(units / 32)
    let same = true
    const expected: boolean[] = []
    for (let i = 0; i < v.length; i++) {
      const row = Math.floor(i / units)
      const u = i % units
      const bit = ((res.bits.words[row * wpr + (u >>> 5)]! >>> (u & 31)) & 1) === 1
      expected.push(cap === null ? v[i]! > 0 : v[i]! >= cap)
      if (bit !== expected[i]) same = false
    }
    on.push(expected)
    check(`${backend} ${name} ${id}: bits equal brute force`, same && res.bits.rows * units === v.length)
  }
  x.dispose()
  model.dispose()
  // site ids hold auto-generated layer names, which differ between the two builds
  return { bits: Object.values(r).map((res) => res.bits.words), on }
}

async function training(backend: string): Promise<void> {
  await tf.setBackend(backend)
  const run = async (tapped: boolean): Promise<number[][]> => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.dense({
          inputShape: [10],
          units: 40,
          activation: 'relu',
          kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
        }),
        tfl.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }),
      ],
    })
    model.compile({ optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy' })
    const xs = tf.randomNormal([32, 10], 0, 1, 'float32', 3)
    const ys = tf.oneHot(
      tf.tensor1d(
        Array.from({ length: 32 }, (_, i) => i % 3),
        'int32',
      ),
      3,
    )
    const start = tf.memory().numTensors
    const probe = tapped ? instrument(model, { reducers: { u: unitStats() } }) : null
    await model.fit(xs, ys, { epochs: 3, batchSize: 8, shuffle: false, verbose: 0 })
    if (probe !== null) {
      await probe.flush()
      const id = probe.sites[0]!.id
      check(`${backend} fit: every training row recorded`, probe.results()[id]!.u.rows === 32 * 3, String(probe.results()[id]!.u.rows))
      probe.dispose()
      check(`${backend} fit: dispose leaves no own property`, !Object.hasOwn(model.layers[0]!, 'call'))
      check(`${backend} fit: no leaked tensors`, tf.memory().numTensors === start, `${start} -> ${tf.memory().numTensors}`)
    }
    const w = await Promise.all(model.getWeights().map(async (t) => Array.from(await t.data())))
    tf.dispose([xs, ys])
    model.dispose()
    return w
  }
  const plain = await run(false)
  const tapped = await run(true)
  check(`${backend} fit: weights bit-identical with and without instrumentation`, JSON.stringify(plain) === JSON.stringify(tapped))
}

/** The monitor on webgl (asynchronous reads): same checks as on cpu, attach in the same pass, parse back. */
async function monitorChecks(): Promise<void> {
  const build = () => {
    const model = tfl.sequential({ layers: [tfl.layers.reLU({ inputShape: [20] }), tfl.layers.dense({ units: 3 })] })
    integerWeights(model, 5)
    // integer sums plus distinct fractions: no ties between classes, the same on every backend
    model.layers[1]!.setWeights([model.layers[1]!.getWeights()[0]!, tf.tensor1d([0.25, 0.5, 0.75])])
    return model
  }
  const results: Record<string, { class: number; score: number }[]> = {}
  for (const backend of ['webgl', 'cpu']) {
    await tf.setBackend(backend)
    const model = build()
    const train = tf.tidy(() => tf.sub(tf.floor(tf.randomUniform([60, 20], 0, 3, 'float32', 6)), 1))
    const x = tf.tidy(() => tf.sub(tf.floor(tf.randomUniform([10, 20], 0, 3, 'float32', 7)), 1))
    const start = tf.memory().numTensors
    const monitor = await buildMonitor(model, train, { labels: Array.from({ length: 60 }, (_, i) => i % 3) })
    const checks = await monitor.check(x)
    const seen: unknown[] = []
    const detach = Monitor.parse(monitor.stringify(), model).attach((c) => void seen.push(c))
    tf.dispose(model.predict(x) as tf.Tensor)
    await new Promise((r) => setTimeout(r, 50))
    detach()
    check(`${backend} monitor: attach gives the checks of check()`, JSON.stringify(seen) === JSON.stringify([checks]))
    check(`${backend} monitor: no leaked tensors`, tf.memory().numTensors === start, `${start} -> ${tf.memory().numTensors}`)
    results[backend] = checks.map((c) => ({ class: c.class, score: c.score }))
    tf.dispose([train, x])
  }
  // the site patterns (ReLU of integer inputs) are identical on both backends; the class
  // comes from webgl's dense arithmetic, which may differ (see the dense model above)
  const gl = results['webgl']!
  const cpu = results['cpu']!
  const same = gl.filter((c, i) => c.class === cpu[i]!.class)
  check(
    'monitor: webgl scores equal cpu scores wherever the two assign the same class',
    same.length > 0 && gl.every((c, i) => c.class !== cpu[i]!.class || c.score === cpu[i]!.score),
    JSON.stringify({ gl, cpu }).slice(0, 400),
  )
  stats.push(`monitor: ${gl.length - same.length} of ${gl.length} examples assigned another class on webgl than on cpu`)
}

async function main(): Promise<void> {
  const f16 = new URLSearchParams(location.search).get('f16') === '1'
  if (f16) tf.env().set('WEBGL_FORCE_F16_TEXTURES', true)
  await tf.setBackend('webgl')
  check('webgl backend active', tf.getBackend() === 'webgl')
  const bpw = deviceBitsPerWord()
  check(`device word size ${bpw} bits for ${f16 ? 'float16' : 'float32'} textures`, bpw === (f16 ? 8 : 16))
  for (const { name } of models()) {
    const gl = await bitsOn('webgl', name, 11)
    const cpu = await bitsOn('cpu', name, 11)
    // Where both backends compute the same on/off state, the packed bits must be equal;
    // webgl's float arithmetic (matMul, conv) may itself differ from cpu's near zero.
    const sameStates = JSON.stringify(gl.on) === JSON.stringify(cpu.on)
    const bitsFollowStates = sameStates ? JSON.stringify(gl.bits) === JSON.stringify(cpu.bits) : true
    const differing = gl.on.flat().filter((b, i) => b !== cpu.on.flat()[i]).length
    check(
      `${name}: webgl bits follow webgl activations exactly as cpu bits follow cpu activations`,
      bitsFollowStates,
      `${differing} of ${gl.on.flat().length} activations differ in sign between backends`,
    )
    if (name === 'relu-only') {
      check(`${name}: webgl bits equal cpu bits for the same inputs`, JSON.stringify(gl.bits) === JSON.stringify(cpu.bits))
    }
    stats.push(`${name}: ${differing} of ${gl.on.flat().length} activations differ in on/off state between webgl and cpu`)
  }
  if (!f16) {
    await training('webgl')
    await training('cpu')
    await tf.setBackend('webgl')
    let code = ''
    try {
      instrument({} as never)
    } catch (e) {
      code = e instanceof InstrumentError ? e.code : 'not an InstrumentError'
    }
    check('errors are coded in the browser', code === 'NOT_A_MODEL', code)
    await monitorChecks()
  }
}

main()
  .catch((e: unknown) => check('page ran without throwing', false, String((e as Error)?.stack ?? e)))
  .finally(() => {
    ;(window as unknown as { __report: Check[]; __stats: string[] }).__stats = stats
    ;(window as unknown as { __report: Check[] }).__report = checks
  })
