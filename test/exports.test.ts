import { expect, test } from 'vitest'
import * as api from '../src/index.js'

test('the public export list is pinned', () => {
  expect(Object.keys(api).sort()).toEqual([
    'InstrumentError',
    'METRICS',
    'Monitor',
    'Timeline',
    'binaryEntropy',
    'buildMonitor',
    'compare',
    'compareHistograms',
    'coverage',
    'derive',
    'deserialize',
    'dormant',
    'evaluateDetectors',
    'evaluateScores',
    'featuresOf',
    'getBit',
    'hamming',
    'hammingDistance',
    'hammingIndex',
    'hammingMatrix',
    'hartmannProtocol',
    'hashWords',
    'histogramEntropy',
    'instrument',
    'knnFit',
    'knnScores',
    'layoutOf',
    'localComplexity',
    'logitScores',
    'mahalanobisFit',
    'mahalanobisScores',
    'measureFeatures',
    'mergeKnn',
    'mergeMahalanobis',
    'mergeNap',
    'metricInfo',
    'napFit',
    'napScores',
    'napThresholds',
    'naswot',
    'nearestPattern',
    'oui',
    'packChannelsFirst',
    'packRows',
    'patternHistogram',
    'popcount32',
    'probeOf',
    'regionColor',
    'regionCount',
    'regionMap',
    'regionMapSvg',
    'regionsAlong',
    'saturationThreshold',
    'serialize',
    'serializeBinary',
    'serializeBinaryParts',
    'splitBy',
    'summarize',
    'totalCoverage',
    'trainingCallback',
    'unitStats',
    'windowed',
    'wordsFor',
  ])
})

test('the tfjs union package works too (one tfjs-core instance)', async () => {
  const tf = await import('@tensorflow/tfjs')
  await tf.setBackend('cpu')
  const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 5, activation: 'relu' })] })
  const probe = api.instrument(model)
  const x = tf.ones([2, 3])
  const r = await probe.measure(x)
  expect(r[probe.sites[0]!.id]!.units.rows).toBe(2)
  probe.dispose()
  x.dispose()
})
