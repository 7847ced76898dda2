// The CommonJS build, required by name: instrument a model and read its sites.
const tf = require('@tensorflow/tfjs-core')
require('@tensorflow/tfjs-backend-cpu')
const tfl = require('@tensorflow/tfjs-layers')
const { instrument, InstrumentError } = require('relu-patterns')

async function main() {
  await tf.setBackend('cpu')
  const model = tfl.sequential({
    layers: [tfl.layers.dense({ inputShape: [4], units: 8, activation: 'relu' }), tfl.layers.dense({ units: 2 })],
  })
  const probe = instrument(model)
  const results = await probe.measure(tf.randomNormal([16, 4]))
  const id = probe.sites[0].id
  console.log(`cjs: site ${id}, ${results[id].patterns.distinct} distinct patterns of ${results[id].patterns.rows}`)
  try {
    instrument(model)
  } catch (error) {
    if (!(error instanceof InstrumentError) || error.code !== 'ALREADY_INSTRUMENTED') throw error
  }
  probe.dispose()
}
main().catch((e) => {
  console.error(e)
  process.exit(1)
})
