import { expect, test } from 'vitest'
import { transferable } from '../../src/workers/serve.js'

test("a task's states give up each whole buffer once, never a view into a larger one", () => {
  const whole = new Uint32Array(8)
  const shared = new Float64Array(4)
  const backing = new Uint8Array(64)
  const view = new Uint32Array(backing.buffer, 16, 4)
  const states = {
    site: { units: 3, table: { keys: whole, counts: shared, again: new Uint8Array(shared.buffer) }, view, list: [new Int32Array(2)] },
    other: { counts: shared },
    n: 5,
    none: null,
  }
  const buffers = transferable(states)
  expect(buffers).toHaveLength(3)
  expect(buffers).toContain(whole.buffer)
  expect(buffers).toContain(shared.buffer)
  expect(buffers).not.toContain(backing.buffer)
  expect(transferable(7)).toEqual([])
  // what postMessage does with the list: the arrays arrive whole and the sender's are gone
  const copy = structuredClone(states, { transfer: buffers })
  expect(copy.site.table.keys).toHaveLength(8)
  expect(whole).toHaveLength(0)
  expect(view).toHaveLength(4)
})
