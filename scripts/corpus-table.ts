/*
 * Prints the table of docs/models.md: every converted graph model the devDependencies
 * ship, checked against brute force as test/corpus does. Run: npx tsx scripts/corpus-table.ts
 */
import '@tensorflow/tfjs-backend-wasm'
import { TABLE_HEAD, checkCorpusModel, tableLine } from '../test/helpers/corpus-check.js'
import { corpus } from '../test/helpers/graph-models.js'
import { tf } from '../test/helpers/tf.js'

await tf.setBackend('wasm')
const fail = (v: unknown, m?: string) => ({
  toEqual: (w: unknown) => {
    if (JSON.stringify(v) !== JSON.stringify(w)) throw new Error(`${m}: disagrees with brute force`)
  },
  toBe: (w: unknown) => {
    if (v !== w) throw new Error(`${m}: ${String(v)} != ${String(w)}`)
  },
})
const lines = [TABLE_HEAD]
for (const m of corpus()) {
  await tf.setBackend(m.backend ?? 'wasm')
  const model = await m.load()
  lines.push(tableLine(await checkCorpusModel(m.id, model, fail)))
  model.dispose()
}
console.log(lines.join('\n'))
