/* The relu-patterns/tensorboard entry: TensorBoard event files written from plain JavaScript, no native code. */
export { TensorBoardLog, shareBuckets, tensorboardLog } from './log.js'
export type { TrainingSink } from '../timeline/schedule.js'
