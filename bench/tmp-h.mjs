import { patternHistogram, layoutOf } from 'relu-patterns'
import { patterns } from './reducers.mjs'
import { interleave } from './harness.mjs'
for (const units of [32, 64, 512]) {
  const n = units >= 512 ? 125000 : 1000000
  const batch = patterns(n, units, 20000)
  const h = patternHistogram()
  const t = await interleave({ fast: () => h.result(h.update(h.init(layoutOf(units)), batch)) }, { rounds: 5 })
  console.log(units, Math.round(n / (t.fast / 1000)))
}
