import { beforeAll, describe, expect, test } from 'vitest'
import { Timeline, compare, instrument, serialize } from '../../src/index.js'
import { data, mlp } from '../helpers/models.js'
import { tf, useCpu } from '../helpers/tf.js'

beforeAll(useCpu)

describe('Timeline', () => {
  test('comparisons against first, previous, final and an index equal compare() of the measurements', async () => {
    const model = mlp()
    const { xs, ys } = data(30)
    const probe = instrument(model)
    const timeline = new Timeline({ keep: 'patterns' })
    const ms = []
    for (let i = 0; i < 3; i++) {
      const m = await probe.measurePatterns(xs)
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
    timeline.add({ step: 0, epoch: 0, examples: 0, label: 'init' }, await probe.measurePatterns(xs))
    timeline.add({ step: 5, epoch: 0.5, examples: 50 }, await probe.measurePatterns(xs))
    const ids = probe.sites.map((s) => s.id)
    const rows = timeline.series({ against: ['first'] })
    const one = rows.find((r) => r.step === 5 && r.site === ids[1] && r.metric === 'patterns.normalizedEntropy')!
    expect(one.value).toBe(timeline.entries[1]!.results[ids[1]!]!['patterns']!['normalizedEntropy' as never])
    expect(rows.find((r) => r.step === 5 && r.metric === 'vsFirst.weightedJaccard')!.value).toBe(1)
    expect(rows.filter((r) => r.metric === 'units.dead')).toHaveLength(4)
    expect(rows.some((r) => r.metric === 'units.frequency')).toBe(false) // arrays are not scalars
    const csv = timeline
      .toCSV({ against: ['first'] })
      .trim()
      .split('\n')
    expect(csv[0]).toBe('step,epoch,examples,label,site,metric,value')
    expect(csv).toHaveLength(rows.length + 1)
    expect(csv[1]!.startsWith('0,0,0,init,')).toBe(true)
    const lines = timeline
      .toJSONLines()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(lines).toEqual(timeline.series())
    const back = Timeline.parse(timeline.stringify())
    expect(back.entries).toEqual(timeline.entries)
    expect(back.compare('first')).toEqual(timeline.compare('first'))
    expect(() => Timeline.parse('{"rows":1}')).toThrow(expect.objectContaining({ code: 'CORRUPT_DATA' }))
    probe.dispose()
    xs.dispose()
  })
})

describe('Timeline input is checked', () => {
  test('a bad reference is INVALID_OPTION; typos in toCSV name toCSV', () => {
    const t = new Timeline()
    expect(() => t.compare('last' as never)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
    expect(() => t.series({ against: ['constructor' as never] })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
    expect(() => t.toCSV({ againts: [] } as never)).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION', message: expect.stringContaining('toCSV') }),
    )
  })

  test('Timeline.parse refuses malformed entries with CORRUPT_DATA', () => {
    for (const entries of [[null], [{ step: 1, results: null }], [{ step: 'x', results: {} }], [{ step: 1, results: {}, histograms: 3 }]]) {
      expect(() => Timeline.parse(serialize({ kind: 'timeline', entries }))).toThrow(expect.objectContaining({ code: 'CORRUPT_DATA' }))
    }
  })
})

describe('per-unit exports', () => {
  test('unitSeries holds every per-unit array and per-unit flips; unitDeaths names when units died; CSV has a row each', () => {
    const t = new Timeline({ keep: 'results' })
    const f = (...v: number[]) => Float64Array.from(v)
    t.add(
      { step: 0, epoch: 0 },
      { s: { units: { units: 3, frequency: f(0.5, 0.2, 0), entropy: f(1, 0.7, 0) }, h: { units: 3, histogram: f(1, 2, 3, 4) } } },
    )
    t.add(
      { step: 5, epoch: 0.5 },
      { s: { units: { units: 3, frequency: f(0, 0.1, 0.3), entropy: f(0, 0.4, 0.8) }, h: { units: 3, histogram: f(1, 2, 3, 4) } } },
    )
    t.add(
      { step: 10, epoch: 1 },
      { s: { units: { units: 3, frequency: f(0, 0, 0.4), entropy: f(0, 0, 0.9) }, h: { units: 3, histogram: f(1, 2, 3, 4) } } },
    )
    const rows = t.unitSeries()
    expect(rows).toHaveLength(3 * 2 * 3) // entries x arrays of unit length x units (the 4-long histogram is not per unit)
    expect(rows.filter((r) => r.metric === 'units.frequency' && r.unit === 2).map((r) => r.value)).toEqual([0, 0.3, 0.4])
    expect(t.unitDeaths()).toEqual([
      { site: 's', unit: 0, step: 5, epoch: 0.5 },
      { site: 's', unit: 1, step: 10, epoch: 1 },
    ])
    const csv = t.toUnitCSV().trim().split('\n')
    expect(csv[0]).toBe('step,epoch,examples,label,site,unit,metric,value')
    expect(csv).toHaveLength(rows.length + 1)
    expect(() => t.unitSeries({ against: ['first'] })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
  })

  test('per-unit flip rates against the first entry equal compare()', async () => {
    const model = mlp(4)
    const { xs, ys } = data(40)
    const probe = instrument(model)
    const t = new Timeline({ keep: 'patterns' })
    const first = await probe.measurePatterns(xs)
    t.add({ step: 0 }, first)
    await model.fit(xs, ys, { epochs: 1, batchSize: 10 })
    const later = await probe.measurePatterns(xs)
    t.add({ step: 4 }, later)
    const id = probe.sites[0]!.id
    const want = compare(first, later)[id]!.unitFlipRate
    const got = t
      .unitSeries({ against: ['first'] })
      .filter((r) => r.step === 4 && r.site === id && r.metric === 'vsFirst.unitFlipRate')
      .map((r) => r.value)
    expect(got).toEqual(Array.from(want))
    expect(want.some((v) => v > 0)).toBe(true)
    probe.dispose()
    tf.dispose([xs, ys])
  })
})

test('unitDeaths ignores entries that measured no rows', () => {
  const t = new Timeline({ keep: 'results' })
  const f = (...v: number[]) => Float64Array.from(v)
  t.add({ step: 0 }, { s: { units: { units: 2, rows: 0, frequency: f(0, 0) } } })
  t.add({ step: 1 }, { s: { units: { units: 2, rows: 5, frequency: f(0, 0.4) } } })
  t.add({ step: 2 }, { s: { units: { units: 2, rows: 0, frequency: f(0, 0) } } })
  expect(t.unitDeaths()).toEqual([{ site: 's', unit: 0, step: 1, epoch: null }])
})

test('a timeline goes in training order: add and parse refuse a step before the last', () => {
  const t = new Timeline()
  t.add({ step: 0 }, { a: { u: { x: 1 } } })
  t.add({ step: 0 }, { a: { u: { x: 2 } } }) // the same step twice is fine
  expect(() => t.add({ step: -1 }, { a: { u: { x: 3 } } })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
  t.add({ step: 5 }, { a: { u: { x: 3 } } })
  expect(Timeline.parse(t.stringify()).entries.map((e) => e.step)).toEqual([0, 0, 5])
  const reversed = new Timeline()
  reversed.add({ step: 0 }, { a: { u: { x: 1 } } })
  reversed.add({ step: 5 }, { a: { u: { x: 2 } } })
  ;(reversed.entries as { step: number }[]).reverse()
  expect(() => Timeline.parse(reversed.stringify())).toThrow(
    expect.objectContaining({ code: 'CORRUPT_DATA', message: expect.stringContaining('entry 1 is at step 0, before entry 0 at step 5') }),
  )
})

test('Timeline.add takes only what parse reads back: numeric epoch and examples, a string label, no other key; parse refuses an unknown keep', () => {
  const t = new Timeline()
  expect(() => t.add({ step: 0, epoch: '1' } as never, { a: { u: { x: 1 } } })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
  expect(() => t.add({ step: 0, epoch: null } as never, { a: { u: { x: 1 } } })).toThrow(
    expect.objectContaining({ code: 'INVALID_OPTION' }),
  )
  expect(() => t.add({ stpe: 0, step: 0 } as never, { a: { u: { x: 1 } } })).toThrow(
    expect.objectContaining({ code: 'INVALID_OPTION', message: expect.stringContaining('stpe') }),
  )
  t.add({ step: 0, epoch: 0.5, examples: 10, label: 'a' }, { a: { u: { x: 1 } } })
  expect(Timeline.parse(t.stringify()).entries).toHaveLength(1)
  const text = t.stringify()
  const bogus = new Timeline({ keep: 'results' })
  bogus.add({ step: 0 }, { a: { u: { x: 1 } } })
  ;(bogus as { keep: string }).keep = 'bogus'
  expect(() => Timeline.parse(bogus.stringify())).toThrow(expect.objectContaining({ code: 'CORRUPT_DATA' }))
  expect(text).toContain('timeline')
})
