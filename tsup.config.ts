import { defineConfig } from 'tsup'

export default defineConfig({
  entry: { index: 'src/index.ts', vega: 'src/vega/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  treeshake: true,
  // tfjs must never be bundled: a second copy of tfjs-core breaks kernel registration.
  external: [/^@tensorflow\//],
})
