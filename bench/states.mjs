// Writing and reading states: the binary form against JSON text, on a histogram of a million distinct patterns.
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { deserialize, patternHistogram, serialize, serializeBinary, serializeBinaryParts } from 'relu-patterns'
import { median } from './harness.mjs'

/** A patternHistogram state of `n` distinct 64-bit patterns (each seen once). */
function bigState(n) {
  const h = patternHistogram({ maxBytes: 2 ** 31 })
  const words = new Uint32Array(n * 2)
  for (let i = 0; i < n; i++) {
    words[2 * i] = i
    words[2 * i + 1] = Math.imul(i, 2654435761) >>> 0
  }
  return h.update(h.init({ units: 64, wordsPerRow: 2 }), {
    words,
    rows: n,
    units: 64,
    wordsPerRow: 2,
    nonFinite: 0,
    positions: 1,
    labels: null,
  })
}

const mb = (bytes, ms) => bytes / 1e6 / (ms / 1000)

/**
 * serializeBinary (one copy), serializeBinaryParts written to a file (no copy), and
 * deserialize of the bytes, `rounds` times each in turn; JSON text once each way with
 * `json`. MB/s are of the binary form's size; extra memory is what the process's resident
 * size grew by over the state while writing to one buffer.
 */
export async function statesBench({ distinct, rounds, json }) {
  const state = bigState(distinct)
  const dir = mkdtempSync(join(tmpdir(), 'relu-bench-states-'))
  const file = join(dir, 'state.rps')
  const times = { write: [], writeFile: [], read: [] }
  let bytes = 0
  let extra = 0
  for (let r = 0; r < rounds + 1; r++) {
    globalThis.gc?.()
    const rss = process.memoryUsage().rss
    let t0 = performance.now()
    const b = serializeBinary(state)
    const write = performance.now() - t0
    extra = Math.max(extra, process.memoryUsage().rss - rss)
    bytes = b.length
    t0 = performance.now()
    const parts = serializeBinaryParts(state)
    const fd = openSync(file, 'w')
    for (const p of parts) writeSync(fd, p)
    closeSync(fd)
    const writeFile = performance.now() - t0
    const onDisk = readFileSync(file)
    t0 = performance.now()
    const back = deserialize(onDisk)
    const read = performance.now() - t0
    if (back.table.size !== distinct) throw new Error('read back a different state')
    if (r > 0) {
      times.write.push(write)
      times.writeFile.push(writeFile)
      times.read.push(read)
    }
  }
  const out = {
    distinct,
    bytes,
    rounds,
    serializeMBps: mb(bytes, median(times.write)),
    serializeToFileMBps: mb(bytes, median(times.writeFile)),
    readMBps: mb(bytes, median(times.read)),
    serializeMBpsRange: [mb(bytes, Math.max(...times.write)), mb(bytes, Math.min(...times.write))],
    readMBpsRange: [mb(bytes, Math.max(...times.read)), mb(bytes, Math.min(...times.read))],
    extraBytesWhileWriting: extra,
    extraOverState: extra / bytes,
    json: null,
  }
  if (json) {
    let t0 = performance.now()
    const text = serialize(state)
    const write = performance.now() - t0
    t0 = performance.now()
    deserialize(text)
    const read = performance.now() - t0
    out.json = { bytes: text.length, serializeMs: write, readMs: read, serializeS: write / 1000, readS: read / 1000 }
  }
  rmSync(dir, { recursive: true, force: true })
  return out
}
