import { readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { tf } from './tf.js'

/** Saves a model as model.json + weights.bin in `dir`, the layout tfjs writes to disk. */
export async function saveToDir(model: { save(h: tf.io.IOHandler): Promise<unknown> }, dir: string): Promise<string> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = artifacts.weightData as ArrayBuffer
      await writeFile(join(dir, 'weights.bin'), new Uint8Array(weights))
      const json = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsManifest: [{ paths: ['./weights.bin'], weights: artifacts.weightSpecs }],
      }
      await writeFile(join(dir, 'model.json'), JSON.stringify(json))
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }
    }),
  )
  return join(dir, 'model.json')
}

/** An IOHandler that reads model.json and its weight files from disk (tfjs-node's file:// without tfjs-node). */
export function fileHandler(path: string): tf.io.IOHandler {
  return {
    load: async () => {
      const json = JSON.parse(await readFile(path, 'utf8')) as tf.io.ModelJSON
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const specs = manifest.flatMap((group) => group.weights)
        const buffers = await Promise.all(
          manifest.flatMap((group) => group.paths.map((p) => readFile(join(dirname(path), p)))),
        )
        const data = tf.io.concatenateArrayBuffers(buffers.map((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer))
        return [specs, data]
      })
    },
  }
}
