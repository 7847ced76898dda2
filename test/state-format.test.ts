import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { instrument, patternHistogram, serializeBinary, splitBy, unitStats } from '../src/index.js'
import { data, mlp } from './helpers/models.js'
import { tf } from './helpers/tf.js'

/*
 * Another language reads the binary form from its specification alone: the Python reader
 * in examples/state-format (standard library and numpy, none of this code) gives back the
 * distinct patterns, entropies and dead units the library computes from the same states.
 */
const READER = join(__dirname, '..', 'examples', 'state-format', 'read_state.py')
const dir = mkdtempSync(join(tmpdir(), 'relu-state-format-'))

test('the Python reader reproduces distinct counts, entropies and dead units from a state file', async () => {
  const model = mlp(5, [12, 70, 40, 3])
  const probe = instrument(model, {
    reducers: { units: unitStats(), patterns: patternHistogram(), perClass: splitBy(patternHistogram(), 'label') },
  })
  const { xs } = data(300, 12, 3, 17)
  const labels = Int32Array.from({ length: 300 }, (_, i) => i % 3)
  const states = await probe.measureStates(xs, { batchSize: 64, labels })
  const file = join(dir, 'states.rps')
  writeFileSync(file, serializeBinary(states))
  const read = JSON.parse(execFileSync('python3', [READER, file], { encoding: 'utf8' })) as Record<
    string,
    { distinct?: number; entropy?: number | null; exact?: boolean; dead?: number; units?: number; rows?: number }
  >
  const r = probe.results(states)
  const sites = probe.sites.map((s) => s.id)
  expect(sites.length).toBe(2)
  for (const id of sites) {
    const p = r[id]!.patterns
    expect(read[`${id}/patterns`]).toMatchObject({ distinct: p.distinct, exact: true })
    expect(read[`${id}/patterns`]!.entropy).toBeCloseTo(p.entropy, 12)
    expect(read[`${id}/units`]).toEqual({ units: r[id]!.units.units, rows: 300, dead: r[id]!.units.dead })
    // a state per class, inside splitBy's state: found and read the same way
    const perClass = Object.keys(read).filter((k) => k.startsWith(`${id}/perClass/`))
    expect(perClass.length).toBe(3)
    expect(perClass.reduce((n, k) => n + (read[k]!.distinct ?? 0), 0)).toBeGreaterThanOrEqual(p.distinct)
  }
  // a damaged file is refused, not read
  const bytes = readFileSync(file)
  bytes[bytes.length >> 1]! ^= 1
  writeFileSync(join(dir, 'damaged.rps'), bytes)
  expect(() => execFileSync('python3', [READER, join(dir, 'damaged.rps')], { encoding: 'utf8', stdio: 'pipe' })).toThrow(
    /checksum does not match/,
  )
  probe.dispose()
  tf.dispose(xs)
})
