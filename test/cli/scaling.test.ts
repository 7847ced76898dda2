import { describe, expect, test } from 'vitest'
import { declaredScaling, mismatchWarning, resolveScaling } from '../../src/cli/scaling.js'
import type { SiteSummary } from '../../src/index.js'
import { tfl } from '../helpers/tf.js'

const row = (site: string, units: number, dead: number, distinct: number): SiteSummary => ({
  site,
  units,
  positions: 1,
  rows: 100,
  dead,
  alwaysOn: 0,
  meanEntropy: 0.5,
  distinct,
  normalizedEntropy: 0.5,
  topShare: 0.1,
  meanDistance: null,
  patternShare: null,
  conditionalEntropy: null,
  mutualInformation: null,
  nonFinite: 0,
  exact: true,
})

describe('input scaling', () => {
  test('flags win over what the model declares, which wins over the default; each says what it fed', () => {
    const declared = { scale: 1, mean: [0], std: [1], why: 'the model takes int32 pixels' }
    expect(resolveScaling({}, null)).toMatchObject({
      scale: 255,
      source: 'default',
      description: expect.stringContaining('-> [0, 1] (the default'),
    })
    expect(resolveScaling({}, declared)).toMatchObject({
      scale: 1,
      source: 'model',
      description: 'pixels 0..255 as they are -> [0, 255] (the model takes int32 pixels)',
    })
    expect(resolveScaling({ range: '-1,1' }, declared)).toMatchObject({ scale: 127.5, mean: [1], source: 'flags' })
    expect(resolveScaling({ range: '0,255' }, null)).toMatchObject({ scale: 1, mean: [-0] })
    const rgb = { array: false, channels: 3, integer: false }
    const imagenet = resolveScaling({ mean: '0.485,0.456,0.406', std: '0.229,0.224,0.225' }, declared, rgb)
    expect(imagenet.description).toBe(
      'pixels 0..255 / 255 then - 0.485,0.456,0.406 then / 0.229,0.224,0.225 -> [-2.11790, 2.64000] (from --scale/--mean/--std)'
        .replace('-2.11790', '-2.1179')
        .replace('2.64000', '2.64'),
    )
    expect(() => resolveScaling({ range: '0,2' }, null)).toThrow('--range takes 0,1 or -1,1 or 0,255')
    expect(() => resolveScaling({ std: '0' }, null)).toThrow('--std cannot be 0')
    // three values for a gray model, scaling flags for an array fed as it is, and scaling an int32 model's pixels are refused
    expect(() => resolveScaling({ mean: '0.5,0,0' }, null, { array: false, channels: 1, integer: false })).toThrow(
      "--mean gives 3 values, one per channel, and the model's images have 1 channel",
    )
    expect(() => resolveScaling({ range: '0,1' }, null, { array: true, channels: 3, integer: false })).toThrow(
      'a .npy array is fed as it is',
    )
    expect(resolveScaling({}, null, { array: true, channels: 3, integer: false })).toMatchObject({
      source: 'array',
      description: 'the .npy values as they are (no scaling)',
    })
    expect(() => resolveScaling({ range: '0,1' }, declared, { array: false, channels: 3, integer: true })).toThrow(
      'the model takes int32 pixels',
    )
    expect(resolveScaling({ range: '0,255' }, declared, { array: false, channels: 3, integer: true })).toMatchObject({ scale: 1 })
    expect(() => resolveScaling({ mean: '1,,2' }, null, rgb)).toThrow('--mean takes one number or three')
  })

  test('a layers model whose first layer is Rescaling takes pixels as they are; a plain one says nothing', () => {
    const scaled = tfl.sequential({
      layers: [
        tfl.layers.rescaling({ scale: 1 / 255, inputShape: [4, 4, 3] }),
        tfl.layers.conv2d({ filters: 2, kernelSize: 1, activation: 'relu' }),
      ],
    })
    expect(declaredScaling(scaled)).toMatchObject({ scale: 1, why: expect.stringContaining('rescales by 0.00392') })
    const plain = tfl.sequential({ layers: [tfl.layers.dense({ units: 2, inputShape: [3], activation: 'relu' })] })
    expect(declaredScaling(plain)).toBeNull()
    scaled.dispose()
    plain.dispose()
  })

  test('readings that look like a preprocessing mismatch: most sites at 1-2 patterns, or most units dead', () => {
    const s = resolveScaling({}, null)
    expect(mismatchWarning([row('a', 10, 0, 50), row('b', 10, 1, 2), row('c', 10, 0, 40)], s)).toBeNull()
    expect(mismatchWarning([row('a', 10, 0, 1), row('b', 10, 1, 2), row('c', 10, 0, 40)], s)).toMatch(
      /^These readings look like a preprocessing mismatch: 2 of 3 sites, with 20 of their 30 units, have at most 2 distinct patterns\. The inputs were pixels 0\.\.255 \/ 255 -> \[0, 1\]/,
    )
    // weighed by units: small heads that are constant over the inputs do not make a mismatch
    expect(mismatchWarning([row('head1', 3, 0, 1), row('head2', 3, 0, 1), row('trunk', 64, 0, 80)], s)).toBeNull()
    // one unit can show at most 2 patterns
    expect(mismatchWarning([row('a', 1, 0, 2), row('b', 1, 0, 2), row('c', 10, 0, 40)], s)).toBeNull()
    expect(mismatchWarning([row('a', 10, 9, 50), row('b', 10, 9, 20)], s)).toContain('18 of 20 units are dead')
    // saturation planes are not sign sites
    expect(mismatchWarning([row('a', 10, 0, 50), row('a:saturated', 10, 10, 1), row('b:saturated', 10, 10, 1)], s)).toBeNull()
  })
})
