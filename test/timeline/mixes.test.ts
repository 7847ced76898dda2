import { afterEach, describe, expect, test } from 'vitest'
import { instrument, trainingCallback } from '../../src/index.js'
import { data, mlp } from '../helpers/models.js'
import { tf, tfl } from '../helpers/tf.js'

afterEach(() => tf.disposeVariables())

/** A fit of 3 epochs of 4 batches with `callbacks` built around a fresh schedule; the schedule's points and what the others saw. */
async function fitWith(
  arrange: (schedule: ReturnType<typeof trainingCallback>, seen: string[]) => unknown[],
): Promise<{ steps: number[]; epochs: (number | undefined)[]; seen: string[]; ran: number }> {
  const model = mlp(5)
  const probe = instrument(model)
  const { xs, ys } = data(32, 12, 3, 9)
  const schedule = trainingCallback(probe, { every: { epochs: 0.5 }, snapshot: true })
  const seen: string[] = []
  const start = tf.memory().numTensors
  const history = await model.fit(xs, ys, { epochs: 3, batchSize: 8, verbose: 0, callbacks: arrange(schedule, seen) as never })
  expect(tf.memory().numTensors).toBeLessThanOrEqual(start + 2) // the history's loss scalars at most
  probe.dispose()
  tf.dispose([xs, ys])
  expect(schedule.error).toBeNull()
  return {
    steps: schedule.stream.entries.map((e) => e.step),
    epochs: schedule.stream.entries.map((e) => e.epoch),
    seen,
    ran: history.epoch.length,
  }
}

/** A plain object of handlers, as users and tfjs-vis's fitCallbacks write them. */
const handlers = (seen: string[], name: string) => ({
  onEpochEnd: async (epoch: number, logs?: { loss?: number }) => void seen.push(`${name} epoch ${epoch} ${typeof logs?.loss}`),
  onBatchEnd: async () => void seen.push(`${name} batch`),
})

describe('trainingCallback beside the callbacks users already have', () => {
  test('alone, first or last among plain handler objects, and after tfjs Callback instances: the same points every time', async () => {
    const alone = await fitWith((s) => [s])
    // every half epoch of 4 batches, from the start: steps 0, 2, 4, ..., 12, with their epochs
    expect(alone.steps).toEqual([0, 2, 4, 6, 8, 10, 12])
    expect(alone.epochs).toEqual([0, 0.5, 1, 1.5, 2, 2.5, 3])
    const mixes: [string, (s: ReturnType<typeof trainingCallback>, seen: string[]) => unknown[], number][] = [
      ['schedule, then a plain object', (s, seen) => [s, handlers(seen, 'a')], 1],
      ['a plain object, then the schedule', (s, seen) => [handlers(seen, 'a'), s], 1],
      ['two plain objects around it', (s, seen) => [handlers(seen, 'a'), s, handlers(seen, 'b')], 2],
      ['after a tfjs Callback instance', (s) => [tfl.callbacks.earlyStopping({ monitor: 'loss', patience: 50 }), s], 0],
    ]
    for (const [name, arrange, objects] of mixes) {
      const run = await fitWith(arrange)
      expect(run.steps, name).toEqual(alone.steps)
      expect(run.epochs, name).toEqual(alone.epochs)
      // each plain object saw every epoch with resolved logs, and every batch
      expect(run.seen.filter((l) => l.includes('epoch')).length, name).toBe(3 * objects)
      expect(run.seen.filter((l) => l.endsWith('number')).length, name).toBe(3 * objects)
      expect(run.seen.filter((l) => l.endsWith('batch')).length, name).toBe(12 * objects)
    }
  })

  test('a tfjs Callback before it still acts: early stopping stops the fit, and the schedule records the end', async () => {
    const model = mlp(6)
    const probe = instrument(model)
    const { xs, ys } = data(32, 12, 3, 10)
    const schedule = trainingCallback(probe, { every: { batches: 3 }, snapshot: true })
    // no improvement can reach minDelta: stops after the first epoch past patience 0
    const stop = tfl.callbacks.earlyStopping({ monitor: 'loss', patience: 0, minDelta: 1e9 })
    const history = await model.fit(xs, ys, { epochs: 10, batchSize: 8, verbose: 0, callbacks: [stop, schedule] })
    expect(history.epoch.length).toBe(2)
    expect(schedule.stream.entries.map((e) => e.step)).toEqual([0, 3, 6, 8])
    expect(schedule.stream.entries.at(-1)!.label).toBe('end')
    probe.dispose()
    tf.dispose([xs, ys])
  })
})
