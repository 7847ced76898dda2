import '@tensorflow/tfjs-backend-wasm'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { checkCorpusModel, tableLine } from '../helpers/corpus-check.js'
import { corpus } from '../helpers/graph-models.js'
import { tf } from '../helpers/tf.js'

/*
 * Every converted graph model the devDependencies ship (48 models from 3 packages), as a
 * new user would instrument them: each checked against brute force, and its line in the
 * table of docs/models.md (printed by scripts/corpus-table.ts) still true. Split over
 * files by `part` so that the test runner spreads them over its workers.
 */
const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'models.md'), 'utf8')

export function corpusPart(part: number, parts: number): void {
  describe('every converted model the devDependencies ship, against brute force', () => corpusTests(part, parts))
}

function corpusTests(part: number, parts: number): void {
  for (const m of corpus().filter((_, i) => i % parts === part)) {
    test(m.id, async () => {
      await tf.setBackend(m.backend ?? 'wasm')
      const model = await m.load()
      try {
        const row = await checkCorpusModel(m.id, model, expect as never)
        expect(doc, 'docs/models.md: run npx tsx scripts/corpus-table.ts and update the table').toContain(tableLine(row))
      } finally {
        model.dispose()
      }
    }, 120_000)
  }
}
