import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { INSTRUMENT_KEYS } from '../src/instrument/options.js'

/* The guide's promises and tables are checked against the code, so they cannot drift. */

const root = join(__dirname, '..')
const read = (path: string): string => readFileSync(join(root, path), 'utf8')
const guide = read('docs/guide.md')
const section = (title: string): string => {
  const start = guide.indexOf(`## ${title}\n`)
  expect(start, `section ${title}`).toBeGreaterThanOrEqual(0)
  const end = guide.indexOf('\n## ', start + 3)
  return guide.slice(start, end === -1 ? undefined : end)
}
const tableKeys = (text: string): string[] => [...text.matchAll(/^\| `([A-Za-z_]+)` \|/gm)].map((m) => m[1]!)

test('the error table lists exactly the codes of InstrumentErrorCode', () => {
  const union = /export type InstrumentErrorCode =([^;]*?)\n\n/s.exec(read('src/errors.ts'))![1]!
  const codes = [...union.matchAll(/'([A-Z_]+)'/g)].map((m) => m[1]!)
  expect(codes.length).toBeGreaterThan(10)
  expect(tableKeys(section('Errors')).sort()).toEqual([...codes].sort())
  // and the doc comment of the type lists each one too
  for (const code of codes) expect(read('src/errors.ts')).toContain(`\`${code}\`:`)
})

test('the options table lists exactly the options instrument() accepts', () => {
  const options = section('Instrumenting a model')
  expect(tableKeys(options.slice(options.indexOf('### Options'))).sort()).toEqual([...INSTRUMENT_KEYS].sort())
})

test('every guarantee names a test that exists', () => {
  const bullets = section('Guarantees').split('\n- ').slice(1)
  expect(bullets.length).toBeGreaterThan(10)
  for (const bullet of bullets) {
    const marker = /<!-- test: (\S+) "([^"]+)" -->/.exec(bullet)
    expect(marker, `guarantee without a test: ${bullet.slice(0, 60)}`).not.toBeNull()
    const [, file, title] = marker!
    const source = read(file!)
    const titles = [...source.matchAll(/(?:describe|test)(?:\.each\([^)]*\))?\(\s*(['"`])(.*?)\1/g)].map((m) => m[2]!)
    expect(
      titles.some((t) => t.includes(title!)),
      `${file} has no test titled like "${title}"`,
    ).toBe(true)
  }
})

test('statements that are no longer true stay out of the docs', () => {
  const docs = ['README.md', 'docs/guide.md', 'docs/performance.md', 'docs/design.md'].map(read).join('\n')
  expect(docs).not.toMatch(/no tensor is created or leaked/)
  expect(docs).not.toMatch(/no hash collisions/)
  expect(docs).not.toMatch(/read synchronously today/)
  expect(docs).not.toMatch(/probe\.callback\(/)
})

test('README links and images work on the registry page (absolute URLs)', () => {
  const readme = read('README.md')
  const targets = [...readme.matchAll(/\]\(([^)]+)\)/g)].map((m) => m[1]!)
  expect(targets.length).toBeGreaterThan(10)
  expect(targets.filter((t) => !/^(https?:|#)/.test(t))).toEqual([])
  // and each one points at a file that exists here
  for (const t of targets) {
    const m =
      /^https:\/\/(?:github\.com\/relu-patterns\/relu-patterns\/blob|raw\.githubusercontent\.com\/relu-patterns\/relu-patterns)\/main\/([^#]+)/.exec(
        t,
      )
    if (m !== null) expect(() => read(m[1]!), t).not.toThrow()
  }
})
