import * as vega from 'vega'
import * as vl from 'vega-lite'
import { afterEach, beforeAll, expect, test, vi } from 'vitest'
import { InstrumentError } from '../src/index.js'
import { heatmap, toSVG } from '../src/vega/index.js'
import { Timeline, instrument } from '../src/index.js'
import { data, mlp } from './helpers/models.js'
import { tf, useCpu } from './helpers/tf.js'

let timeline: Timeline
beforeAll(async () => {
  await useCpu()
  const model = mlp()
  const { xs, ys } = data(20)
  const probe = instrument(model)
  timeline = new Timeline()
  timeline.add({ step: 0 }, await probe.measure(xs))
  await model.fit(xs, ys, { epochs: 1, batchSize: 10, verbose: 0 })
  timeline.add({ step: 2 }, await probe.measure(xs))
  probe.dispose()
  tf.dispose([xs, ys])
})

afterEach(() => {
  vi.doUnmock('vega-lite')
  vi.resetModules()
})

test('toSVG draws the same SVG as vega and vega-lite called directly, with the peers imported or given', async () => {
  const spec = heatmap(timeline, { metric: 'units.dead' })
  const view = new vega.View(vega.parse(vl.compile(spec as never).spec), { renderer: 'none' })
  const direct = await view.toSVG()
  view.finalize()
  expect(direct.startsWith('<svg')).toBe(true)
  // vega numbers its gradients per process: the pictures are equal up to those ids
  const ids = (svg: string): string => svg.replace(/gradient_\d+/g, 'gradient')
  expect(ids(await toSVG(spec))).toBe(ids(direct))
  expect(ids(await toSVG(spec, { vega, vegaLite: vl }))).toBe(ids(direct))
})

test('toSVG without vega-lite installed is MISSING_PEER, naming what to install; a wrong module is INVALID_OPTION', async () => {
  const spec = heatmap(timeline, { metric: 'units.dead' })
  await expect(toSVG(spec, { vega: {} as never })).rejects.toMatchObject({ code: 'INVALID_OPTION' })
  await expect(toSVG(null as never)).rejects.toMatchObject({ code: 'INVALID_INPUT' })
  vi.doMock('vega-lite', () => {
    throw new Error("Cannot find package 'vega-lite'")
  })
  const fresh = (await import('../src/vega/index.js')).toSVG
  const error = await fresh(spec).catch((e: unknown) => e)
  expect(error).toBeInstanceOf(InstrumentError)
  expect((error as InstrumentError).code).toBe('MISSING_PEER')
  expect((error as InstrumentError).message).toContain('npm install vega vega-lite')
  expect((error as InstrumentError).cause).toBeDefined()
})
