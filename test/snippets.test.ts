import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from 'vitest'

/*
 * Every TypeScript and JavaScript block of the README and docs/ is type-checked as written,
 * against the package's own entries, so that a snippet cannot use a name it does not import
 * or call what the library no longer has. The data a snippet works on (a model, its inputs,
 * a probe) is declared once, below; a block that shows a value rather than code (it starts
 * with `{`) is left out.
 */
const root = join(__dirname, '..')
const GIVENS = `import type { LayersModel } from '@tensorflow/tfjs-layers'
import type { Tensor } from '@tensorflow/tfjs-core'
import type { DefaultReducers, Probe, ProbeCallback, States } from 'relu-patterns'
declare global {
  /** A trained tfjs-layers model, and the probe that instruments it. */
  const model: LayersModel
  const probe: Probe<DefaultReducers>
  /** Training data and labels, a probe set, held-out, incoming and test inputs. */
  const xs: Tensor, ys: Tensor, x: Tensor, inputs: Tensor, trainXs: Tensor, testXs: Tensor, heldOutXs: Tensor, incomingXs: Tensor
  const probeXs: Tensor, firstHalf: Tensor, secondHalf: Tensor, extra: Tensor, from: Tensor, to: Tensor, x0: Tensor, u: Tensor, v: Tensor
  const trainLabels: Int32Array, probeLabels: Int32Array
  const statesA: States<DefaultReducers>, statesB: States<DefaultReducers>
  /** A training schedule, as trainingCallback(probe, options) returns it. */
  const schedule: ProbeCallback<DefaultReducers>
}
export {}
`

test('every code block of the README and docs/ type-checks as written', () => {
  const dir = mkdtempSync(join(tmpdir(), 'relu-snippets-'))
  try {
    const docs = [
      'README.md',
      ...readdirSync(join(root, 'docs'))
        .filter((f) => f.endsWith('.md'))
        .map((f) => `docs/${f}`),
    ]
    let blocks = 0
    for (const doc of docs) {
      const text = readFileSync(join(root, doc), 'utf8')
      let i = 0
      for (const m of text.matchAll(/^```(ts|js|typescript|javascript)\n([\s\S]*?)^```/gm)) {
        const code = m[2]!
        if (code.trimStart().startsWith('{')) continue
        writeFileSync(join(dir, `${doc.replace(/[/.]/g, '_')}_${i++}.ts`), `${code}\nexport {}\n`)
        blocks++
      }
    }
    expect(blocks).toBeGreaterThan(20)
    writeFileSync(join(dir, 'givens.d.ts'), GIVENS)
    const entry = (p: string): string[] => [join(root, p)]
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'es2022',
          module: 'esnext',
          moduleResolution: 'bundler',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: ['node'],
          typeRoots: [join(root, 'node_modules', '@types')],
          baseUrl: root,
          paths: {
            'relu-patterns': entry('src/index.ts'),
            'relu-patterns/vega': entry('src/vega/index.ts'),
            'relu-patterns/report': entry('src/report/index.ts'),
            'relu-patterns/workers': entry('src/workers/index.ts'),
            'relu-patterns/web-workers': entry('src/workers/web.ts'),
            'relu-patterns/tensorboard': entry('src/tensorboard/index.ts'),
            'relu-patterns/dashboard': entry('src/dashboard/index.ts'),
            '*': [join(root, 'node_modules', '*')],
          },
        },
        include: ['*.ts'],
      }),
    )
    let out = ''
    try {
      execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(dir, 'tsconfig.json')], {
        encoding: 'utf8',
      })
    } catch (error) {
      out = String((error as { stdout?: string }).stdout ?? error)
    }
    expect(out.split('\n').filter((l) => l.includes('error'))).toEqual([])
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}, 120_000)
