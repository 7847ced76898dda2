/* The relu-patterns/report entry: self-contained HTML reports. */
/**
 * Self-contained HTML reports of measurements and timelines: `import { renderReport } from
 * 'relu-patterns/report'`. Plain strings, no dependency.
 */
export { renderReport, highlights } from './render.js'
export type { ReportOptions } from './render.js'
export { displayReport, type ReportDisplay } from './display.js'
