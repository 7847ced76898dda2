// npm run bench [-- --json] [-- --out results.json] [-- --smoke] [-- --only fit,webgl,measure,reducers,monitor,regions,memory,workers,sinks,states,stress]
// Every ratio below is measured within this one run, with the compared tasks interleaved.
import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-cpu'
import '@tensorflow/tfjs-backend-wasm'
import { fmt } from './harness.mjs'
import { graphOverhead, partialOverhead } from './graph.mjs'
import { detectorBench } from './detectors.mjs'
import { monitorBench } from './monitor.mjs'
import { reducerBench } from './reducers.mjs'
import { regionsBench } from './regions.mjs'
import { cnn, cnnStress, fitOverhead, measureBench, memoryBench, mlp } from './training.mjs'
import { registerWasmConvGradients } from '../examples/lib/wasm-conv.mjs'
import { existsSync, writeFileSync } from 'node:fs'
import { CHROMIUM } from './chromium.mjs'
import { webglFitOverhead } from './webgl.mjs'
import { workersBench } from './workers.mjs'
import { sinksOverhead } from './sinks.mjs'
import { statesBench } from './states.mjs'

const json = process.argv.includes('--json')
const smoke = process.argv.includes('--smoke')
// --only fit,webgl,measure,reducers,monitor,regions,memory,workers,sinks,states,stress runs those parts alone
const onlyAt = process.argv.indexOf('--only')
const only = onlyAt < 0 ? null : (process.argv[onlyAt + 1] ?? '').split(',')
const want = (part) => only === null || only.includes(part)
const log = (...a) => {
  if (!json) console.log(...a)
}

const size = smoke
  ? {
      mlp: { examples: 256, batchSize: 128, rounds: 1 },
      mlpWasm: { examples: 256, batchSize: 128, rounds: 1 },
      cnn: { examples: 32, batchSize: 32, rounds: 1 },
      cnnWasm: { examples: 64, batchSize: 64, rounds: 1 },
      measure: { examples: 256, rounds: 1 },
      memory: { batches: 20 },
    }
  : {
      mlp: { examples: 256, batchSize: 128, rounds: 25 },
      mlpWasm: { examples: 512, batchSize: 128, rounds: 25 },
      cnn: { examples: 64, batchSize: 32, rounds: 25 },
      cnnWasm: { examples: 512, batchSize: 64, rounds: 11 },
      measure: { examples: 2048, rounds: 9 },
      memory: { batches: 1000 },
    }

const started = performance.now()
// rounds of each part (reducers: histograms and unitStats 5, hamming 3; MobileNet 5 per order)
const out = {
  date: new Date().toISOString(),
  node: process.version,
  smoke,
  rounds: smoke
    ? 1
    : {
        fit: size.mlp.rounds,
        webgl: 15,
        measure: size.measure.rounds,
        histogram: 5,
        unitStats: 5,
        hamming: 3,
        graphPerOrder: 5,
        workers: 7,
        sinks: 15,
        states: 5,
        stress: size.cnnWasm.rounds,
      },
}

if (want('fit')) {
  await tf.setBackend('cpu')
  log('fit overhead (instrumented / plain, median of interleaved rounds)')
  const mlpCpu = await fitOverhead(mlp, [784], size.mlp)
  log(
    `  mlp-cpu  ${mlpCpu.ratio.toFixed(3)}  (IQR ${mlpCpu.ratioSpread.map((x) => x.toFixed(3)).join('-')} over ${mlpCpu.rounds} rounds; ${mlpCpu.plainMs.toFixed(0)} ms plain)`,
  )
  const cnnCpu = await fitOverhead(cnn, [28, 28, 1], size.cnn)
  log(
    `  cnn-cpu  ${cnnCpu.ratio.toFixed(3)}  (IQR ${cnnCpu.ratioSpread.map((x) => x.toFixed(3)).join('-')} over ${cnnCpu.rounds} rounds; ${cnnCpu.plainMs.toFixed(0)} ms plain)`,
  )
  await tf.setBackend('wasm')
  const mlpWasm = await fitOverhead(mlp, [784], size.mlpWasm)
  log(
    `  mlp-wasm ${mlpWasm.ratio.toFixed(3)}  (IQR ${mlpWasm.ratioSpread.map((x) => x.toFixed(3)).join('-')} over ${mlpWasm.rounds} rounds; ${mlpWasm.plainMs.toFixed(0)} ms plain)`,
  )
  log("the same in CPU time of the process (which the machine's other tenants do not stretch)")
  for (const [k, r] of [
    ['mlp-cpu', mlpCpu],
    ['cnn-cpu', cnnCpu],
    ['mlp-wasm', mlpWasm],
  ])
    log(`  ${k.padEnd(8)} ${r.cpuRatio.toFixed(3)}  (IQR ${r.cpuRatioSpread.map((x) => x.toFixed(3)).join('-')})`)
  out.fitOverheadCpu = { 'mlp-cpu': mlpCpu.cpuRatio, 'mlp-wasm': mlpWasm.cpuRatio, 'cnn-cpu': cnnCpu.cpuRatio }
  out.fitOverheadCpuSpread = { 'mlp-cpu': mlpCpu.cpuRatioSpread, 'mlp-wasm': mlpWasm.cpuRatioSpread, 'cnn-cpu': cnnCpu.cpuRatioSpread }
  out.fitOverhead = { 'mlp-cpu': mlpCpu.ratio, 'mlp-wasm': mlpWasm.ratio, 'cnn-cpu': cnnCpu.ratio }
  out.fitOverheadSpread = { 'mlp-cpu': mlpCpu.ratioSpread, 'mlp-wasm': mlpWasm.ratioSpread, 'cnn-cpu': cnnCpu.ratioSpread }
  out.recorderShare = { 'mlp-cpu': mlpCpu.recorderShare, 'cnn-cpu': cnnCpu.recorderShare, 'mlp-wasm': mlpWasm.recorderShare }
  log("the probe's own time over the fit's (probe.counters(): reading, packing, reducers; median and range over rounds)")
  for (const [k, r] of [
    ['mlp-cpu', mlpCpu],
    ['cnn-cpu', cnnCpu],
    ['mlp-wasm', mlpWasm],
  ])
    log(
      `  ${k.padEnd(8)} ${(100 * r.recorderShare).toFixed(2)}%  (${(100 * r.recorderShareRange[0]).toFixed(2)}-${(100 * r.recorderShareRange[1]).toFixed(2)}%)`,
    )
  await tf.setBackend('cpu')
  const graph = await graphOverhead(smoke ? { rounds: 1, batch: 1 } : { rounds: 5, batch: 2 })
  log(
    `  graph predict, MobileNetV2 (${graph.sites} sites), cpu  ${graph.ratio.toFixed(3)}  (plain first ${graph.plainFirst.toFixed(3)}, instrumented first ${graph.tappedFirst.toFixed(3)}; ${graph.plainMs.toFixed(0)} ms plain)`,
  )
  const partial = await partialOverhead(smoke ? { rounds: 1, batch: 1 } : { rounds: 15, batch: 2 })
  log(
    `  graph execute up to the first block, MobileNetV2 (${partial.recorded} sites above it), cpu  ${partial.ratio.toFixed(3)}  (plain first ${partial.plainFirst.toFixed(3)}, instrumented first ${partial.tappedFirst.toFixed(3)}; ${partial.plainMs.toFixed(1)} ms plain; target <= 1.05)`,
  )
  out.predictOverhead = { 'mobilenet-graph-cpu': graph.ratio, 'mobilenet-first-block-cpu': partial.ratio }
  out.fitMs = { 'mlp-cpu': mlpCpu, 'mlp-wasm': mlpWasm, 'cnn-cpu': cnnCpu }
}

out.fitOverhead ??= {}
out.fitOverheadSpread ??= {}
out.recorderShare ??= {}
out.fitMs ??= {}
if (!want('webgl')) {
  // not asked for
} else if (existsSync(CHROMIUM) && !process.argv.includes('--no-webgl')) {
  // the browser part (also alone: npm run bench:webgl)
  const w = await webglFitOverhead({ smoke })
  log(
    `  mlp-webgl ${w.ratio.toFixed(3)}  (IQR ${w.ratioSpread.map((x) => x.toFixed(3)).join('-')} over ${w.rounds} rounds; ${w.plainMs.toFixed(0)} ms plain, headless Chromium, ${w.renderer}); the probe's own time ${(100 * w.recorderShare).toFixed(2)}%`,
  )
  out.fitOverhead['mlp-webgl'] = w.ratio
  out.fitOverheadSpread['mlp-webgl'] = w.ratioSpread
  out.recorderShare['mlp-webgl'] = w.recorderShare
  out.fitMs['mlp-webgl'] = w
} else log(`  mlp-webgl skipped: ${existsSync(CHROMIUM) ? '--no-webgl' : `no Chromium at ${CHROMIUM}`}`)

if (want('stress')) {
  // every training batch of a conv net recorded, against wasm's fast forward and backward passes
  log('\nthe stress case: CNN conv 16-16-pool-32-32 on 28x28, batch 64, every batch recorded, wasm')
  await tf.setBackend('wasm')
  registerWasmConvGradients()
  const s = await fitOverhead(cnnStress, [28, 28, 1], size.cnnWasm)
  log(
    `  cnn-wasm ${s.ratio.toFixed(3)}  (IQR ${s.ratioSpread.map((x) => x.toFixed(3)).join('-')} over ${s.rounds} rounds; ${s.plainMs.toFixed(0)} ms plain); the probe's own time ${(100 * s.recorderShare).toFixed(2)}% (${(100 * s.recorderShareRange[0]).toFixed(2)}-${(100 * s.recorderShareRange[1]).toFixed(2)}%; target <= 1%)`,
  )
  out.fitOverhead['cnn-wasm'] = s.ratio
  out.fitOverheadSpread['cnn-wasm'] = s.ratioSpread
  out.recorderShare['cnn-wasm'] = s.recorderShare
  out.fitMs['cnn-wasm'] = s
  await tf.setBackend('cpu')
}

if (want('measure')) {
  log('\nmeasure (wasm, MLP, 3 sites, unit stats + histogram)')
  await tf.setBackend('wasm')
  const m = await measureBench(size.measure)
  const iqr = (s, d) => `IQR ${s.map((x) => x.toFixed(d)).join('-')}, ${size.measure.rounds} rounds`
  log(`  measure / predict       ${m.measureOverPredict.toFixed(3)}  (${iqr(m.measureOverPredictSpread, 3)})`)
  log(`  naive / measure         ${m.vsNaiveEndToEnd.toFixed(2)}x end to end (the forward pass dominates both)`)
  log(`  naive / ours            ${m.vsNaive.toFixed(1)}x for the statistics on the same activations  (${iqr(m.vsNaiveSpread, 1)})`)
  out.measureOverPredict = m.measureOverPredict
  out.vsNaive = m.vsNaive
  out.vsNaiveSpread = m.vsNaiveSpread
  out.vsNaiveEndToEnd = m.vsNaiveEndToEnd
}

if (want('reducers')) {
  log('\nreducers on plain packed data')
  const r = await reducerBench({ smoke })
  for (const [bits, n] of Object.entries(r.histogramPatternsPerSec)) {
    const [lo, hi] = r.histogramPatternsPerSecSpread[bits]
    log(
      `  histogram ${bits.padStart(4)} bits  ${fmt(n)} patterns/s (IQR ${fmt(lo)}-${fmt(hi)})${r.histogramVsNaive[bits] ? `  (${r.histogramVsNaive[bits].toFixed(0)}x the string Map)` : ''}`,
    )
  }
  log(
    `  histogram   64 bits  ${fmt(r.histogramLarge.patternsPerSec)} patterns/s at ${fmt(r.histogramLarge.distinct)} distinct (out of cache), ${r.histogramLarge.bytesPerPattern.toFixed(1)} bytes per distinct pattern`,
  )
  const [wlo, whi] = r.histogramWarm4096Spread
  log(
    `  histogram 4096 bits  ${fmt(r.histogramWarm4096)} patterns/s into a state holding them already (IQR ${fmt(wlo)}-${fmt(whi)}); fresh memory: ${r.firstTouchMsPerMiB.toFixed(2)} ms per MiB on first touch`,
  )
  log(
    `  unitStats  512 bits  ${fmt(r.unitStatsRowsPerSec512)} rows/s  (${r.unitStatsVsNaive.toFixed(1)}x a per-bit loop, IQR ${r.unitStatsVsNaiveSpread.map((x) => x.toFixed(1)).join('-')})`,
  )
  log(
    `  hamming    512 bits  ${fmt(r.hammingPairsPerSec512)} pairs/s  (${r.hammingVsNaive.toFixed(1)}x a per-bit loop, range ${r.hammingVsNaiveSpread.map((x) => x.toFixed(1)).join('-')} over 3 rounds)`,
  )
  Object.assign(out, r)
}

if (want('monitor')) {
  log('\nmonitor: nearest Hamming distance, 64-bit patterns (multi-index hashing vs plain scan)')
  const mon = await monitorBench({ smoke })
  for (const r of Object.values(mon)) {
    log(
      `  ${String(r.rows).padStart(8)} patterns, ${r.queries.padEnd(6)} queries  ${fmt(r.indexChecksPerSec)} checks/s vs ${fmt(r.scanChecksPerSec)} scanning  (${r.speedup.toFixed(1)}x, index built in ${r.buildMs.toFixed(0)} ms)`,
    )
  }
  out.monitorChecksPerSec = mon
  log('\ndetectors at the size of the MNIST comparison: 20,000 training examples, 192 values, 10 classes')
  const det = detectorBench({ smoke })
  for (const [name, r] of Object.entries(det))
    log(`  ${name.padEnd(12)} ${fmt(r.checksPerSec)} checks/s, ${(r.bytes / 1024).toFixed(0)} KiB, built in ${r.fitMs} ms`)
  out.detectors = det
}

if (want('regions')) {
  log('\nwhole-network patterns and linear regions (wasm)')
  await tf.setBackend('wasm')
  const reg = await regionsBench({ smoke })
  for (const [bits, n] of Object.entries(reg.histogramPatternsPerSec))
    log(`  histogram ${bits.padStart(5)} bits  ${fmt(n)} patterns/s (plain data)`)
  for (const [name, r] of Object.entries(reg.networkSite))
    log(
      `  network site, ${name} (${r.bits} bits): measure ${r.ratio.toFixed(3)}x without it, ${r.patternsPerSec === null ? 'site cost within noise' : `${fmt(r.patternsPerSec)} patterns/s for the site itself`}`,
    )
  const al = reg.along
  log(
    `  regionsAlong: ${fmt(al.regionsPerSec)} regions/s vs ${fmt(al.denseRegionsPerSec)} by dense sampling with read-back (${al.speedup.toFixed(1)}x; ${al.regions} regions on ${al.segments} segments, tolerance ${al.tolerance}, counts ${al.agree ? 'agree' : 'DIFFER'})`,
  )
  out.regions = reg
  await tf.setBackend('cpu')
}

if (want('memory')) {
  log('\nmemory after recorded batches (wasm, MLP)')
  await tf.setBackend('wasm')
  const mem = await memoryBench(size.memory)
  log(
    `  ${mem.batches} batches: tensors +${mem.tensorGrowth}, JS heap +${fmt(mem.heapGrowthBytes)} B${mem.heapMeasuredAfterGc ? '' : ' (run node --expose-gc for a clean reading)'}`,
  )
  log(
    `  per site: state ${fmt(mem.stateBytesPerSite)} B + buffer ${fmt(mem.recorderBufferBytesPerSite)} B vs one float batch ${fmt(mem.floatBatchBytesPerSite)} B`,
  )
  out.memory = mem
}

if (want('workers')) {
  log('\nmeasure over worker threads (wasm, CNN; relu-patterns/workers)')
  const w = await workersBench(smoke ? { examples: 256, rounds: 1 } : { examples: 4096, rounds: 7 })
  log(
    `  pool of ${w.workers}: ${w.speedup.toFixed(2)}x probe.measure (IQR ${w.spread.map((x) => x.toFixed(2)).join('-')}, ${w.rounds} rounds, ${w.examples} examples); measureInWorkers with start-up ${w.oneShotSpeedup.toFixed(2)}x; results identical: ${w.identical}`,
  )
  out.workers = w
  await tf.setBackend('cpu')
}

if (want('sinks')) {
  log('\nlive log and TensorBoard writer during fit (wasm, MLP, a 256-example point every 2 batches)')
  await tf.setBackend('wasm')
  const s = await sinksOverhead(smoke ? { examples: 256, rounds: 1 } : { examples: 1024, rounds: 15 })
  log(
    `  with both / timeline alone ${s.ratio.toFixed(3)}  (IQR ${s.ratioSpread.map((x) => x.toFixed(3)).join('-')} over ${s.rounds} rounds, ${s.points} points a fit; ${s.timelineMs.toFixed(0)} ms a fit; target <= 1.02)`,
  )
  out.sinksOverhead = s
  await tf.setBackend('cpu')
}

if (want('states')) {
  log('\nstates to bytes and back: a histogram of 64-bit patterns, each seen once')
  const st = await statesBench(smoke ? { distinct: 10_000, rounds: 1, json: false } : { distinct: 1_000_000, rounds: 5, json: true })
  log(
    `  ${fmt(st.distinct)} distinct, ${(st.bytes / 1e6).toFixed(1)} MB: serializeBinary ${st.serializeMBps.toFixed(0)} MB/s (range ${st.serializeMBpsRange.map((x) => x.toFixed(0)).join('-')}), parts to a file ${st.serializeToFileMBps.toFixed(0)} MB/s, deserialize ${st.readMBps.toFixed(0)} MB/s (range ${st.readMBpsRange.map((x) => x.toFixed(0)).join('-')}); extra memory while writing ${(st.extraBytesWhileWriting / 1e6).toFixed(0)} MB; target >= 200 MB/s each way`,
  )
  if (st.json !== null)
    log(
      `  JSON text: ${(st.json.bytes / 1e6).toFixed(1)} MB, serialize ${(st.json.serializeMs / 1000).toFixed(1)} s, deserialize ${(st.json.readMs / 1000).toFixed(1)} s`,
    )
  out.states = st
}

out.seconds = Math.round((performance.now() - started) / 1000)
log(`\n${out.seconds} s`)
if (json) console.log(JSON.stringify(out))
// --out FILE writes the same JSON to a file, next to the printed report
const outAt = process.argv.indexOf('--out')
if (outAt >= 0) writeFileSync(process.argv[outAt + 1] ?? 'bench.json', `${JSON.stringify(out, null, 1)}\n`)
