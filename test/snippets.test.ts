import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from 'vitest'

/*
 * Every TypeScript and JavaScript block of the README and docs/ is type-checked as written,
 * against the package's own entries, so that a snippet cannot use a name it does not import
 * or call what the library no longer has; then run, against the built package, with real
 * values for the data it works on (test/snippets/givens.ts). The data a snippet works on (a
 * model, its inputs, a probe) is declared once, below; a block that shows a value rather
 * than code (it starts with `{`) is left out.
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

/** Each code block of the README and docs/, named `<doc>#<index among the doc's blocks>`. */
function codeBlocks(): { name: string; file: string; code: string }[] {
  const docs = [
    'README.md',
    ...readdirSync(join(root, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
  ]
  const blocks: { name: string; file: string; code: string }[] = []
  for (const doc of docs) {
    const text = readFileSync(join(root, doc), 'utf8')
    let i = 0
    for (const m of text.matchAll(/^```(ts|js|typescript|javascript)\n([\s\S]*?)^```/gm)) {
      const code = m[2]!
      if (code.trimStart().startsWith('{')) continue
      blocks.push({ name: `${doc}#${i}`, file: `${doc.replace(/[/.]/g, '_')}_${i}.ts`, code })
      i++
    }
  }
  return blocks
}

test('every code block of the README and docs/ type-checks as written', () => {
  const dir = mkdtempSync(join(tmpdir(), 'relu-snippets-'))
  try {
    const blocks = codeBlocks()
    for (const b of blocks) writeFileSync(join(dir, b.file), `${b.code}\nexport {}\n`)
    expect(blocks.length).toBeGreaterThan(20)
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

/**
 * Blocks that need what a Node test process does not have, each with where it runs instead.
 * Everything else runs.
 */
const ELSEWHERE: { doc: string; holding: string; why: string }[] = [
  {
    doc: 'README.md',
    holding: "setBackend('webgl')",
    why: 'the webgl backend: the same calls run in headless Chromium (test/browser/browser.test.ts)',
  },
  { doc: 'docs/guide.md', holding: 'serveWorker()', why: 'a web worker script: test/browser/web-workers.test.ts serves the same one' },
  { doc: 'docs/guide.md', holding: 'webWorkerPool(probe', why: 'web workers in a page: test/browser/web-workers.test.ts' },
  {
    doc: 'docs/guide.md',
    holding: 'mountDashboard(document',
    why: 'a page (document): test/browser/dashboard.test.ts mounts the view the same way',
  },
]
const elsewhere = (b: { name: string; code: string }): boolean =>
  ELSEWHERE.some((e) => b.name.startsWith(`${e.doc}#`) && b.code.includes(e.holding))

test('every other code block runs as written, against the built package, with real data', () => {
  // inside the package, so that the blocks import relu-patterns by name (a package may import itself)
  const dir = join(__dirname, 'snippets', '.run')
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  try {
    const blocks = codeBlocks()
    // each block set aside is still there, once
    for (const e of ELSEWHERE)
      expect(
        blocks.filter((b) => b.name.startsWith(`${e.doc}#`) && b.code.includes(e.holding)),
        e.holding,
      ).toHaveLength(1)
    const run = blocks.filter((b) => !elsewhere(b))
    for (const b of run) writeFileSync(join(dir, b.file), `${b.code}\nexport {}\n`)
    const out = execFileSync(
      process.execPath,
      [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(__dirname, 'snippets', 'run.ts'), ...run.map((b) => join(dir, b.file))],
      { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 26 },
    )
    const report = JSON.parse(out.trim().split('\n').at(-1)!) as { ran: number; failed: { file: string; error: string }[] }
    expect(report.failed.map((f) => `${run.find((b) => f.file.endsWith(b.file))?.name}: ${f.error}`)).toEqual([])
    expect(report.ran).toBe(run.length)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}, 180_000)
