/* Reading model.json and its weight files from disk: a layers model or a converted graph model. */
import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { LayersModel } from '@tensorflow/tfjs-layers'
import * as tf from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'
import type { GraphModelLike } from '../instrument/index.js'
import { UsageError } from './usage.js'

interface ModelJson {
  format?: string
  modelTopology?: { node?: unknown; class_name?: unknown; model_config?: unknown }
  weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[]
}

/** Reads model.json and its weight files from disk: a layers model or a converted graph model. */
export async function loadModel(path: string): Promise<{ model: LayersModel | GraphModelLike; kind: 'layers' | 'graph' }> {
  let json: ModelJson
  try {
    json = JSON.parse(await readFile(path, 'utf8')) as ModelJson
  } catch (error) {
    throw new UsageError(
      `cannot read the model ${path}: ${error instanceof Error ? error.message : String(error)}. Give the path of a tfjs model.json.`,
      error,
    )
  }
  if (typeof json !== 'object' || json === null || typeof json.modelTopology !== 'object' || !Array.isArray(json.weightsManifest)) {
    throw new UsageError(`${path} is not a tfjs model.json (it needs modelTopology and weightsManifest).`)
  }
  const load = async (): Promise<tf.io.ModelArtifacts> =>
    tf.io.getModelArtifactsForJSON(json as tf.io.ModelJSON, async (manifest) => {
      const specs = manifest.flatMap((group) => group.weights)
      const buffers = await Promise.all(manifest.flatMap((g) => g.paths.map((p) => readFile(join(dirname(path), p)))))
      const data = tf.io.concatenateArrayBuffers(
        buffers.map((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer),
      )
      return [specs, data]
    })
  const graph = json.format === 'graph-model' || Array.isArray(json.modelTopology?.node)
  try {
    if (graph) {
      const converter = await import('@tensorflow/tfjs-converter').catch((error: unknown) => {
        throw new UsageError(
          'this is a graph model; install @tensorflow/tfjs-converter to read it (npm install @tensorflow/tfjs-converter).',
          error,
        )
      })
      return { model: (await converter.loadGraphModel({ load })) as unknown as GraphModelLike, kind: 'graph' }
    }
    return { model: await tfl.loadLayersModel({ load }), kind: 'layers' }
  } catch (error) {
    if (error instanceof UsageError) throw error
    throw new UsageError(`cannot load the model ${path}: ${error instanceof Error ? error.message : String(error)}`, error)
  }
}
