// A converted graph model (tf.loadGraphModel), as most pretrained tfjs models are: the
// anti-spoofing classifier that @vladmandic/human ships with its weights, loaded from disk.
// Its ReLU sites are graph nodes (standalone Relu, and a MatMul with a fused Relu), read
// in the model's own predict calls.
//
//   node examples/third-party-model/graph.mjs [path/to/model.json]
import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-cpu'
import * as tfc from '@tensorflow/tfjs-converter'
import { instrument } from 'relu-patterns'

await tf.setBackend('cpu')
const path = process.argv[2] ?? fileURLToPath(new URL('../../node_modules/@vladmandic/human/models/antispoof.json', import.meta.url))
const handler = {
  load: async () => {
    const json = JSON.parse(await readFile(path, 'utf8'))
    return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
      const buffers = await Promise.all(manifest.flatMap((g) => g.paths.map((p) => readFile(join(dirname(path), p)))))
      return [
        manifest.flatMap((g) => g.weights),
        tf.io.concatenateArrayBuffers(buffers.map((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength))),
      ]
    })
  },
}
const model = await tfc.loadGraphModel(handler)
const probe = instrument(model)
console.log(`graph model: ${Object.keys(model.executor.graph.nodes).length} nodes, ${probe.sites.length} ReLU sites`)
for (const s of probe.sites)
  console.log(`  ${s.id.padEnd(52)} ${s.className.padEnd(13)} ${String(s.units).padStart(4)} units x ${s.positions} positions`)

// the application's own calls, recorded as they run
const [, h, w, c] = model.inputs[0].shape
for (let i = 0; i < 4; i++) {
  const x = tf.randomUniform([8, h, w, c], 0, 1, 'float32', i)
  tf.dispose(model.predict(x))
  x.dispose()
}
for (const [id, r] of Object.entries(probe.results())) {
  console.log(
    `  ${id.split('/').slice(-2).join('/').padEnd(28)} ${String(r.units.rows).padStart(6)} patterns  ${String(r.units.dead).padStart(3)} dead  ${String(r.patterns.distinct).padStart(6)} distinct`,
  )
}
probe.dispose()
