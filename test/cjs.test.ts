import { createRequire } from 'node:module'
import { join } from 'node:path'
import { expect, test } from 'vitest'

/*
 * The built package as users load it (CI builds before testing): entries required together
 * under CommonJS share one copy of each class, and a class of one copy (an ES module
 * import beside a require) still answers instanceof for another's objects.
 */
const require = createRequire(import.meta.url)
const dist = join(__dirname, '..', 'dist')

test('two CommonJS entries together: a Timeline of the root renders in /report, and /report and /vega throw the root InstrumentError', () => {
  const root = require(join(dist, 'index.cjs')) as typeof import('../src/index.js')
  const report = require(join(dist, 'report.cjs')) as typeof import('../src/report/index.js')
  const vega = require(join(dist, 'vega.cjs')) as typeof import('../src/vega/index.js')
  expect(report.renderReport(new root.Timeline())).toContain('The timeline is empty')
  const thrown = (fn: () => unknown): unknown => {
    try {
      fn()
    } catch (error) {
      return error
    }
    return null
  }
  const fromReport = thrown(() => report.renderReport({} as never))
  expect(fromReport).toBeInstanceOf(root.InstrumentError)
  expect(fromReport).toMatchObject({ code: 'INVALID_INPUT' })
  const fromVega = thrown(() => vega.heatmap({} as never, 'nope' as never))
  expect(fromVega).toBeInstanceOf(root.InstrumentError)
})

test('an ES module copy and a CommonJS copy: instanceof holds both ways, and other errors are not taken for ours', async () => {
  const esm = (await import(join(dist, 'index.js'))) as typeof import('../src/index.js')
  const cjs = require(join(dist, 'index.cjs')) as typeof import('../src/index.js')
  expect(esm.InstrumentError).not.toBe(cjs.InstrumentError)
  expect(new cjs.InstrumentError('INVALID_INPUT', 'x')).toBeInstanceOf(esm.InstrumentError)
  expect(new esm.InstrumentError('INVALID_INPUT', 'x')).toBeInstanceOf(cjs.InstrumentError)
  expect(new cjs.Timeline()).toBeInstanceOf(esm.Timeline)
  expect(new Error('x')).not.toBeInstanceOf(cjs.InstrumentError)
  expect({ code: 'INVALID_INPUT' }).not.toBeInstanceOf(cjs.InstrumentError)
  expect(Object.create(cjs.Timeline.prototype)).not.toBeInstanceOf(esm.Timeline)
})
