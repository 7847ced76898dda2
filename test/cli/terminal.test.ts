import { expect, test } from 'vitest'
import { terminalSummary } from '../../src/cli/terminal.js'
import type { SiteSummary } from '../../src/metrics/summary.js'

const row = (site: string, exact: boolean): SiteSummary => ({
  site,
  units: 8,
  positions: 1,
  rows: 100,
  dead: 1,
  alwaysOn: 0,
  meanEntropy: 0.5,
  distinct: 40,
  patternShare: 0.4,
  normalizedEntropy: 0.7,
  topShare: 0.1,
  meanDistance: null,
  conditionalEntropy: null,
  mutualInformation: null,
  nonFinite: 0,
  exact,
})

test('the terminal says which readings are estimates: sites past the histogram cap', () => {
  expect(terminalSummary([row('a', true), row('b', true)], null).join('\n')).not.toContain('cap')
  const lines = terminalSummary([row('a', true), row('b', false), row('c', false)], null)
  expect(lines).toContain(
    "2 sites passed the histogram's memory cap: their distinct counts are lower bounds and their entropies estimates (marked ≥ and ≈ in the report)",
  )
  expect(lines[0]).toBe('3 sites, 24 units: 3 dead (12.5%), 0 always on')
})
