import { beforeAll, describe, expect, test } from 'vitest'
import type { PackedBatch } from '../../src/index.js'
import { Reader } from '../../src/record/reader.js'
import { Recorder } from '../../src/record/recorder.js'
import { tf, useCpu } from '../helpers/tf.js'

beforeAll(useCpu)

/** A reader whose path is switched by the test, as `read: 'auto'` does when the backend changes between reads. */
class SwitchingReader extends Reader {
  device = true
  protected override async(): boolean {
    return this.device
  }
}

const recorder = () =>
  new Recorder({ id: 's', units: 3, granularity: 'position', dataFormat: 'channelsLast', thresholds: [0], caps: [null] })

describe('Reader', () => {
  test('deliveries keep the order reads started, across device and in-pass reads', async () => {
    const reader = new SwitchingReader('auto')
    const rec = recorder()
    const got: number[][] = []
    const delivery = {
      done: (b: PackedBatch[]) => void got.push(Array.from(b[0]!.words.subarray(0, b[0]!.rows))),
      failed: (e: unknown) => {
        throw e
      },
    }
    const xs = [
      [1, -1, 1],
      [-1, 1, 1],
      [1, 1, 1],
      [-1, -1, 1],
    ].map((r) => tf.tensor2d([r]))
    reader.read(rec, xs[0]!, null, delivery) // device
    reader.device = false
    reader.read(rec, xs[1]!, null, delivery) // in the pass, while the first is in flight: delivered after it
    reader.device = true
    reader.read(rec, xs[2]!, null, delivery)
    reader.device = false
    await reader.flush()
    reader.read(rec, xs[3]!, null, delivery) // nothing in flight: delivered at once
    expect(got).toEqual([[0b101], [0b110], [0b111], [0b100]])
    tf.dispose(xs)
    reader.dispose()
  })

  test('a failed read is delivered as a failure, in order, and later reads still arrive', async () => {
    const reader = new SwitchingReader('async')
    const rec = recorder()
    const events: string[] = []
    const delivery = { done: () => void events.push('done'), failed: () => void events.push('failed') }
    const good = tf.tensor2d([[1, 2, 3]])
    const wrong = tf.tensor2d([[1, 2]]) // two units where three are expected
    reader.read(rec, good, null, delivery)
    reader.read(rec, wrong, null, delivery)
    reader.read(rec, good, null, delivery)
    await reader.flush()
    expect(events).toEqual(['done', 'failed', 'done'])
    tf.dispose([good, wrong])
    reader.dispose()
  })
})
