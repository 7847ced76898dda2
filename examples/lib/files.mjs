// Reading and writing tfjs models as model.json + weights files in Node, without tfjs-node.
import { readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'

/** An IOHandler for tf.loadLayersModel that reads model.json and its weight files from disk. */
export function fromDisk(modelJsonPath) {
  return {
    load: async () => {
      const json = JSON.parse(await readFile(modelJsonPath, 'utf8'))
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const specs = manifest.flatMap((group) => group.weights)
        const buffers = await Promise.all(manifest.flatMap((g) => g.paths.map((p) => readFile(join(dirname(modelJsonPath), p)))))
        const data = tf.io.concatenateArrayBuffers(buffers.map((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)))
        return [specs, data]
      })
    },
  }
}

/** An IOHandler for model.save that writes model.json + weights.bin into `dir`. */
export function toDisk(dir) {
  return tf.io.withSaveHandler(async (artifacts) => {
    const data = Array.isArray(artifacts.weightData) ? tf.io.concatenateArrayBuffers(artifacts.weightData) : artifacts.weightData
    await writeFile(join(dir, 'weights.bin'), new Uint8Array(data))
    const json = {
      modelTopology: artifacts.modelTopology,
      format: artifacts.format,
      generatedBy: artifacts.generatedBy,
      convertedBy: artifacts.convertedBy,
      weightsManifest: [{ paths: ['./weights.bin'], weights: artifacts.weightSpecs }],
    }
    await writeFile(join(dir, 'model.json'), JSON.stringify(json))
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }
  })
}
