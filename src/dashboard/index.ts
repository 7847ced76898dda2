/* The relu-patterns/dashboard entry: the live view of training, in the application's page or served by `relu-patterns watch`. */
export { LiveLog, liveLog } from './log.js'
export { type DashboardElement, mountDashboard } from './mount.js'
export { dashboardHtml, LIVE_METRICS, type View } from './view.js'
export { dashboardPage } from './page.js'
export { parseRun, pointRecord, type LogRecord, type PointRecord, type Run, type SitePoint } from './records.js'
