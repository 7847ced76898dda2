import * as tfd from '@tensorflow/tfjs-data'
import { beforeAll, describe, expect, test } from 'vitest'
import { Timeline, compare, compareHistograms, instrument, trainingCallback } from '../../src/index.js'
import { data, mlp } from '../helpers/models.js'
import { tf, useCpu } from '../helpers/tf.js'

beforeAll(useCpu)

describe('trainingCallback with fit', () => {
  test('measures at the start, every k batches and at the end, with step, epoch and examples', async () => {
    const model = mlp()
    const { xs, ys } = data(40)
    const probeSet = tf.slice(xs, 0, 10)
    const probe = instrument(model)
    const points: number[] = []
    const schedule = trainingCallback(probe, { every: { batches: 3 }, measure: probeSet, onPoint: (e) => void points.push(e.step) })
    await model.fit(xs, ys, { epochs: 2, batchSize: 10, verbose: 0, callbacks: [schedule] })
    // 8 batches: points at 0 (init), 3, 6, and 8 (end)
    expect(schedule.timeline.entries.map((e) => [e.step, e.epoch, e.examples, e.label])).toEqual([
      [0, 0, 0, 'init'],
      [3, 0.75, 30, undefined],
      [6, 1.5, 60, undefined],
      [8, 2, 80, 'end'],
    ])
    expect(points).toEqual([0, 3, 6, 8])
    const id = probe.sites[0]!.id
    expect(schedule.timeline.entries[0]!.results[id]!.patterns.rows).toBe(10)
    // the first entry equals a measurement of the initial model... the last one the final model
    const final = await probe.measure(probeSet, { retain: true })
    expect(schedule.timeline.entries[3]!.results).toEqual(final.results)
    expect(compareHistograms(schedule.timeline.entries[3]!.histograms![id]!, final.patterns[id]!.histogram).weightedJaccard).toBe(1)
    probe.dispose()
    tf.dispose([xs, ys, probeSet])
  })

  test('{ epochs: 0.5 } measures twice per epoch; fitDataset learns steps per epoch after the first', async () => {
    const model = mlp()
    const { xs, ys } = data(40)
    const probe = instrument(model)
    const fitSchedule = trainingCallback(probe, { every: { epochs: 0.5 }, measure: xs })
    await model.fit(xs, ys, { epochs: 2, batchSize: 10, verbose: 0, callbacks: [fitSchedule] })
    expect(fitSchedule.timeline.entries.map((e) => e.step)).toEqual([0, 2, 4, 6, 8])
    // a generator dataset has no known size: the first epoch is measured at its end only
    const ds = tfd.generator(function* () {
      for (let i = 0; i < 4; i++) yield { xs: tf.slice(xs, i * 10, 10), ys: tf.slice(ys, i * 10, 10) }
    })
    const dsSchedule = trainingCallback(probe, { every: { epochs: 0.5 }, measure: xs })
    await model.fitDataset(ds as never, { epochs: 2, verbose: 0, callbacks: [dsSchedule] })
    expect(dsSchedule.timeline.entries.map((e) => e.step)).toEqual([0, 4, 6, 8])
    probe.dispose()
    tf.dispose([xs, ys])
  })

  test('snapshot: true records the stream per interval and resets it', async () => {
    const model = mlp()
    const { xs, ys } = data(40)
    const probe = instrument(model, { passes: 'training' })
    const schedule = trainingCallback(probe, { every: { batches: 2 }, snapshot: true })
    await model.fit(xs, ys, { epochs: 1, batchSize: 10, verbose: 0, callbacks: [schedule] })
    const id = probe.sites[0]!.id
    expect(schedule.stream.entries.map((e) => e.results[id]!.units.rows)).toEqual([0, 20, 20])
    expect(schedule.timeline.entries).toHaveLength(0)
    probe.dispose()
    tf.dispose([xs, ys])
  })

  test('works by hand in a custom loop; nothing leaks', async () => {
    const model = mlp()
    const { xs, ys } = data(20)
    const opt = tf.train.sgd(0.1)
    const step = () => opt.minimize(() => tf.losses.softmaxCrossEntropy(ys, model.apply(xs, { training: true }) as tf.Tensor) as tf.Scalar)
    step()
    const start = tf.memory().numTensors
    const probe = instrument(model)
    const schedule = trainingCallback(probe, { every: { epochs: 1 }, stepsPerEpoch: 4, measure: xs, keep: 'patterns' })
    await schedule.onTrainBegin()
    for (let i = 0; i < 8; i++) {
      step()
      await schedule.onBatchEnd(i)
    }
    await schedule.onTrainEnd()
    expect(schedule.timeline.entries.map((e) => [e.step, e.epoch])).toEqual([[0, 0], [4, 1], [8, 2]])
    const drift = schedule.timeline.compare('first')
    const id = probe.sites[0]!.id
    expect(drift[0]![id]).toMatchObject({ flipRate: 0, jaccard: 1 })
    expect((drift[2]![id] as { flipRate: number }).flipRate).toBeGreaterThan(0)
    probe.dispose()
    expect(tf.memory().numTensors).toBe(start)
    tf.dispose([xs, ys])
  })

  test('bad cadence is INVALID_OPTION', () => {
    const probe = instrument(mlp())
    expect(() => trainingCallback(probe, { every: { batches: 0 }, snapshot: true })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
    expect(() => trainingCallback(probe, { every: { batches: 1.5 }, snapshot: true })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
    expect(() => trainingCallback(probe, { every: { epochs: 1 } })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
    probe.dispose()
  })
})

describe('Timeline', () => {
  test('comparisons against first, previous, final and an index equal compare() of the measurements', async () => {
    const model = mlp()
    const { xs, ys } = data(30)
    const probe = instrument(model)
    const timeline = new Timeline({ keep: 'patterns' })
    const ms = []
    for (let i = 0; i < 3; i++) {
      const m = await probe.measure(xs, { retain: true })
      ms.push(m)
      timeline.add({ step: i * 3 }, m)
      await model.fit(xs, ys, { epochs: 1, batchSize: 10, verbose: 0 })
    }
    const id = probe.sites[0]!.id
    expect(timeline.compare('first')[2]![id]).toEqual(compare(ms[0]!, ms[2]!)[id])
    expect(timeline.compare('previous')[0]).toBeUndefined()
    expect(timeline.compare('previous')[2]![id]).toEqual(compare(ms[1]!, ms[2]!)[id])
    expect(timeline.compare('final')[0]![id]).toEqual(compare(ms[2]!, ms[0]!)[id])
    expect(timeline.compare(1)[0]![id]).toEqual(compare(ms[1]!, ms[0]!)[id])
    const light = new Timeline()
    ms.forEach((m, i) => light.add({ step: i }, m))
    const h = light.compare('first')[2]![id]!
    expect(h.weightedJaccard).toBe(compare(ms[0]!, ms[2]!)[id]!.weightedJaccard)
    expect('flipRate' in h).toBe(false)
    probe.dispose()
    tf.dispose([xs, ys])
  })

  test('series, CSV and JSON lines hold every scalar; stringify round-trips', async () => {
    const model = mlp()
    const { xs } = data(12)
    const probe = instrument(model)
    const timeline = new Timeline()
    timeline.add({ step: 0, epoch: 0, examples: 0, label: 'init' }, await probe.measure(xs, { retain: true }))
    timeline.add({ step: 5, epoch: 0.5, examples: 50 }, await probe.measure(xs, { retain: true }))
    const ids = probe.sites.map((s) => s.id)
    const rows = timeline.series({ against: ['first'] })
    const one = rows.find((r) => r.step === 5 && r.site === ids[1] && r.metric === 'patterns.normalizedEntropy')!
    expect(one.value).toBe(timeline.entries[1]!.results[ids[1]!]!['patterns']!['normalizedEntropy' as never])
    expect(rows.find((r) => r.step === 5 && r.metric === 'vsFirst.weightedJaccard')!.value).toBe(1)
    expect(rows.filter((r) => r.metric === 'units.dead')).toHaveLength(4)
    expect(rows.some((r) => r.metric === 'units.frequency')).toBe(false) // arrays are not scalars
    const csv = timeline.toCSV({ against: ['first'] }).trim().split('\n')
    expect(csv[0]).toBe('step,epoch,examples,label,site,metric,value')
    expect(csv).toHaveLength(rows.length + 1)
    expect(csv[1]!.startsWith('0,0,0,init,')).toBe(true)
    const lines = timeline.toJSONLines().trim().split('\n').map((l) => JSON.parse(l))
    expect(lines).toEqual(timeline.series())
    const back = Timeline.parse(timeline.stringify())
    expect(back.entries).toEqual(timeline.entries)
    expect(back.compare('first')).toEqual(timeline.compare('first'))
    expect(() => Timeline.parse('{"rows":1}')).toThrow(expect.objectContaining({ code: 'CORRUPT_DATA' }))
    probe.dispose()
    xs.dispose()
  })
})
