import { beforeAll, describe, expect, test } from 'vitest'
import { Timeline, instrument, summarize, trainingCallback } from '../../src/index.js'
import { highlights, renderReport } from '../../src/report/index.js'
import { commonPrefix } from '../../src/report/render.js'
import { data, mlp } from '../helpers/models.js'
import { tf, useCpu } from '../helpers/tf.js'

beforeAll(useCpu)

describe('renderReport', () => {
  test('a measurement: summary numbers from the results, what stands out, every site', async () => {
    const model = mlp(2, [12, 40, 8, 3])
    const probe = instrument(model)
    const { xs } = data(30)
    const m = await probe.measurePatterns(xs)
    const rows = summarize(m.results, probe.sites)
    probe.dispose()
    const html = renderReport(m, { title: 'A <test>', meta: { model: 'mlp' } })
    expect(html).toContain('<title>A &#60;test&#62;</title>')
    for (const r of rows) {
      expect(html).toContain(`<h3>${r.site}</h3>`)
      expect(html).toContain(`<td data-v="${r.distinct}">${r.distinct}</td>`)
    }
    for (const line of highlights(rows)) expect(html).toContain(line.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`))
    expect(() => renderReport(m.results as never)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
    expect(() => renderReport(m, { titel: 'x' } as never)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
    xs.dispose()
  })

  test('highlights name dead and always-on units, unique patterns and a dominant pattern', () => {
    const base = {
      units: 4,
      positions: 1,
      rows: 10,
      meanEntropy: 0.5,
      normalizedEntropy: 0.5,
      meanDistance: null,
      patternShare: null,
      conditionalEntropy: null,
      mutualInformation: null,
      nonFinite: 0,
      exact: true,
    }
    const lines = highlights([
      { ...base, site: 'a', dead: 2, alwaysOn: 0, distinct: 3, topShare: 0.2 },
      { ...base, site: 'b', dead: 0, alwaysOn: 1, distinct: 10, topShare: 0.1 },
      { ...base, site: 'c', dead: 0, alwaysOn: 0, distinct: 2, topShare: 0.9, exact: false },
      { ...base, site: 'c:saturated', dead: 4, alwaysOn: 0, distinct: 1, topShare: 0.2, nonFinite: 7 },
    ])
    expect(lines).toEqual([
      'a: 2 of 4 units are dead (never on).',
      'b: 1 of 4 units are always on (linear).',
      'b: every row has its own pattern (10 of 10); histogram measures say little here.',
      'c: one pattern holds 90% of the rows.',
      'c: the histogram reached its memory cap; distinct is a lower bound.',
      'c:saturated: 7 activations were NaN or ±Infinity (NaN counts as off, +Infinity as on); check the inputs before reading the rest.',
      'c:saturated: 4 of 4 capped units never reach their cap.',
    ])
  })

  test('near-unique from 90% of rows; warnings atop the page; H(L) beside I(A;L); ids shortened by the path all share, the full id on hover', async () => {
    const base = {
      units: 4,
      positions: 1,
      rows: 100,
      dead: 0,
      alwaysOn: 0,
      meanEntropy: 0.5,
      normalizedEntropy: 0.5,
      topShare: 0.1,
      meanDistance: null,
      patternShare: null,
      conditionalEntropy: null,
      mutualInformation: null,
      nonFinite: 0,
      exact: true,
    }
    expect(
      highlights([
        { ...base, site: 'a', distinct: 90 },
        { ...base, site: 'b', distinct: 89 },
      ]),
    ).toEqual(['a: 90 distinct patterns in 100 rows (90%); histogram measures say little here.'])
    expect(commonPrefix(['m/block_1/relu', 'm/block_2/relu', 'm/head'])).toBe('m/')
    expect(commonPrefix(['m/block_1/relu', 'm/block_1/relu2'])).toBe('m/block_1/')
    expect(commonPrefix(['m/a', 'm'])).toBe('')
    expect(commonPrefix(['only/one'])).toBe('')
    const model = mlp(2, [12, 40, 8, 3])
    const probe = instrument(model)
    const { xs } = data(30)
    const m = await probe.measurePatterns(xs, { labels: Array.from({ length: 30 }, (_, i) => i % 2) })
    probe.dispose()
    const html = renderReport(m, { warnings: ['Look <here>.'], labels: Array.from({ length: 30 }, (_, i) => i % 2) })
    expect(html).toMatch(/<body><h1>[^<]*<\/h1><p class="warning" role="alert"><b>Warning:<\/b> Look &#60;here&#62;\.<\/p>/)
    expect(html).toContain('H(L) = 1.000 bits, the most I(A;L) can be')
    // a shared path: shortened in the table and headings, whole on hover
    const id = Object.keys(m.results)[0]!
    const renamed = {
      ...m,
      results: Object.fromEntries(Object.entries(m.results).map(([k, v]) => [`encoder/stage/${k}`, v])),
      patterns: Object.fromEntries(Object.entries(m.patterns).map(([k, v]) => [`encoder/stage/${k}`, v])),
    }
    const page = renderReport(renamed)
    expect(page).toContain(`<td title="encoder/stage/${id}">…/${id}</td>`)
    expect(page).toContain(`<h3 title="encoder/stage/${id}" data-id="encoder/stage/${id}">…/${id}</h3>`)
    expect(page).toContain('… stands for <code>encoder/stage/</code>')
    expect(() => renderReport(m, { warning: ['x'] } as never)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
    xs.dispose()
  })

  test('a timeline: heatmaps over training, one cell per site and measurement', async () => {
    const model = mlp(3)
    const { xs, ys } = data(32)
    const probe = instrument(model)
    const schedule = trainingCallback(probe, { every: { batches: 2 }, measure: xs })
    await model.fit(xs, ys, { epochs: 1, batchSize: 8, callbacks: [schedule] })
    probe.dispose()
    const html = renderReport(schedule.timeline)
    expect(html).toContain('Over training')
    expect(html).toContain('Weighted Jaccard against the final measurement')
    const cells = html.match(/<rect [^>]*><title>[^<]* @ (step|epoch) [0-9.]+: /g) ?? []
    expect(cells.length).toBe(4 * probe.sites.length * schedule.timeline.entries.length)
    expect(renderReport(new Timeline())).toContain('The timeline is empty')
    tf.dispose([xs, ys])
  })
})

test('renderReport checks against: a measurement given directly, a mistyped key, a label that is not a string', async () => {
  const model = mlp(2, [12, 8, 3])
  const probe = instrument(model)
  const { xs } = data(10)
  const m = await probe.measurePatterns(xs)
  probe.dispose()
  expect(() => renderReport(m, { against: m as never })).toThrow(
    expect.objectContaining({ code: 'INVALID_OPTION', message: expect.stringContaining('not a measurement itself') }),
  )
  expect(() => renderReport(m, { against: { measurement: m, lable: 'b' } as never })).toThrow(
    expect.objectContaining({ code: 'INVALID_OPTION', message: expect.stringContaining('lable') }),
  )
  expect(() => renderReport(m, { against: { measurement: m.results, label: 'b' } as never })).toThrow(
    expect.objectContaining({ code: 'INVALID_OPTION' }),
  )
  expect(() => renderReport(m, { against: { measurement: m, label: 3 } as never })).toThrow(
    expect.objectContaining({ code: 'INVALID_OPTION' }),
  )
  expect(renderReport(m, { against: { measurement: m, label: 'itself' } })).toContain('Against itself')
  xs.dispose()
})
