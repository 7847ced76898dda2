import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { expect, test } from 'vitest'

/*
 * The layout shows the architecture: imports run one way, down these layers. A module may
 * import its own folder and any lower layer, never a higher or a sibling one.
 */
const LAYERS: [string, number][] = [
  ['errors.ts', 0],
  ['keys.ts', 1],
  ['options.ts', 1.5],
  ['bits', 1],
  ['reducer.ts', 2],
  ['reducers', 3],
  ['metrics', 3.4],
  ['draw', 3.6],
  ['compose', 3],
  ['serialize', 3],
  ['record', 4],
  ['compare', 4],
  ['indicators', 4.5],
  ['instrument', 5],
  ['regions', 5.5],
  ['workers', 5.7],
  ['timeline', 6],
  ['monitor', 6],
  ['tensorboard', 6.5],
  ['dashboard', 6.7],
  ['vega', 7],
  ['report', 7],
  ['index.ts', 8],
  ['cli', 9],
]
/**
 * Where tfjs values (not just types) may be imported: instrumentation, recording, the region
 * sampler (it makes the points it runs), worker threads, and the command line tool.
 */
const TFJS_ALLOWED = ['instrument/', 'record/', 'regions/sampler.ts', 'cli/', 'workers/']
/**
 * The rooms of `instrument/`, in import order: what is recorded (sites), the options that
 * choose it, how it is tapped, how passes run; then the probe and the index at the top.
 */
const INSTRUMENT_ROOMS = ['sites', 'options.ts', 'taps', 'passes']

const src = join(__dirname, '..', 'src')
const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  )
const unit = (file: string): string => relative(src, file).split('/')[0]!
const rank = (file: string): number => LAYERS.find(([name]) => name === unit(file))![1]

const imports = (file: string): { target: string; typeOnly: boolean }[] =>
  [...readFileSync(file, 'utf8').matchAll(/^import (type )?[^'"]*from '([^']+)'/gm)].map((m) => ({
    target: m[2]!,
    typeOnly: m[1] !== undefined,
  }))

test('every source module belongs to a layer', () => {
  for (const f of files(src))
    expect(
      LAYERS.map(([n]) => n),
      relative(src, f),
    ).toContain(unit(f))
})

test('imports run down the layers, never up or sideways', () => {
  const wrong: string[] = []
  for (const f of files(src)) {
    for (const { target } of imports(f)) {
      if (!target.startsWith('.')) continue
      const to = join(f, '..', target.replace(/\.js$/, '.ts'))
      if (unit(to) !== unit(f) && rank(to) >= rank(f)) wrong.push(`${relative(src, f)} -> ${relative(src, to)}`)
    }
  }
  expect(wrong).toEqual([])
})

test('other folders reach instrument/ only through its index', () => {
  const wrong: string[] = []
  for (const f of files(src)) {
    if (unit(f) === 'instrument') continue
    for (const { target } of imports(f)) {
      if (!target.startsWith('.')) continue
      const to = relative(src, join(f, '..', target.replace(/\.js$/, '.ts')))
      if (to.startsWith('instrument/') && to !== 'instrument/index.ts') wrong.push(`${relative(src, f)} -> ${to}`)
    }
  }
  expect(wrong).toEqual([])
})

test('inside instrument/, imports run from the probe down through passes, taps and options to sites', () => {
  const room = (file: string): number => {
    const first = relative(join(src, 'instrument'), file).split('/')[0]!
    return INSTRUMENT_ROOMS.includes(first) ? INSTRUMENT_ROOMS.indexOf(first) : first.endsWith('.ts') ? INSTRUMENT_ROOMS.length : -1
  }
  const wrong: string[] = []
  for (const f of files(join(src, 'instrument'))) {
    expect(room(f), relative(src, f)).toBeGreaterThanOrEqual(0)
    for (const { target } of imports(f)) {
      if (!target.startsWith('.')) continue
      const to = join(f, '..', target.replace(/\.js$/, '.ts'))
      if (unit(to) === 'instrument' && room(to) > room(f)) wrong.push(`${relative(src, f)} -> ${relative(src, to)}`)
    }
  }
  expect(wrong).toEqual([])
})

test('no import cycles', () => {
  const graph = new Map<string, string[]>()
  for (const f of files(src)) {
    graph.set(
      f,
      imports(f)
        .filter((i) => i.target.startsWith('.'))
        .map((i) => join(f, '..', i.target.replace(/\.js$/, '.ts'))),
    )
  }
  const state = new Map<string, 'open' | 'done'>()
  const cycles: string[] = []
  const visit = (f: string, trail: string[]): void => {
    if (state.get(f) === 'done') return
    if (state.get(f) === 'open') {
      cycles.push([...trail.slice(trail.indexOf(f)), f].map((x) => relative(src, x)).join(' -> '))
      return
    }
    state.set(f, 'open')
    for (const g of graph.get(f) ?? []) visit(g, [...trail, f])
    state.set(f, 'done')
  }
  for (const f of graph.keys()) visit(f, [])
  expect(cycles).toEqual([])
})

test('tfjs values are imported only where tensors are touched', () => {
  const wrong = files(src)
    .filter((f) => !TFJS_ALLOWED.some((p) => relative(src, f).startsWith(p)))
    .filter((f) => imports(f).some((i) => i.target.startsWith('@tensorflow/') && !i.typeOnly))
  expect(wrong.map((f) => relative(src, f))).toEqual([])
})

test('the core entry does not pull in the timeline, CSV export or deserialisation', () => {
  const reach = new Set<string>()
  const walk = (f: string): void => {
    if (reach.has(f)) return
    reach.add(f)
    for (const i of imports(f)) if (i.target.startsWith('.') && !i.typeOnly) walk(join(f, '..', i.target.replace(/\.js$/, '.ts')))
  }
  walk(join(src, 'instrument', 'probe.ts'))
  const reached = [...reach].map((f) => relative(src, f))
  expect(reached.filter((f) => f.startsWith('timeline/') || f.startsWith('serialize/') || f.startsWith('compare/'))).toEqual([])
})

test('every source file opens with one line saying what it holds', () => {
  const bare = files(src).filter((f) => !/^(\/\*|\/\/) \S.*\S( \*\/)?$/.test(readFileSync(f, 'utf8').split('\n', 1)[0]!))
  expect(bare.map((f) => relative(src, f))).toEqual([])
})
