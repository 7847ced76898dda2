import { defineConfig } from 'tsup'

// tfjs must never be bundled: a second copy of tfjs-core breaks kernel registration.
const external = [/^@tensorflow\//]

export default defineConfig([
  {
    entry: {
      index: 'src/index.ts',
      vega: 'src/vega/index.ts',
      report: 'src/report/index.ts',
      tensorboard: 'src/tensorboard/index.ts',
      dashboard: 'src/dashboard/index.ts',
      'web-workers': 'src/workers/web.ts',
    },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    target: 'es2022',
    treeshake: true,
    // CommonJS entries share chunks too, so that /report and the root hold one copy of each class
    splitting: true,
    external,
  },
  {
    // measureInWorkers and its worker thread: Node only; the worker is an ES module next to it
    entry: { workers: 'src/workers/index.ts', worker: 'src/workers/worker.ts' },
    format: ['esm', 'cjs'],
    dts: { entry: { workers: 'src/workers/index.ts' } },
    platform: 'node',
    target: 'node18',
    shims: true,
    sourcemap: true,
    external,
  },
  {
    // the command line tool: ESM only, Node only
    entry: { cli: 'src/cli/bin.ts' },
    format: ['esm'],
    platform: 'node',
    target: 'node18',
    sourcemap: true,
    banner: { js: '#!/usr/bin/env node' },
    external,
  },
])
