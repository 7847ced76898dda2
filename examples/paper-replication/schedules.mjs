// Learning-rate schedules over training progress t in [0, 1):
// - onecycle: linear warm-up from peak/25 to the peak over the first 30%, then cosine
//   annealing to peak/1e4 (Smith & Topin 2019);
// - step: the peak, divided by 10 at 50% and again at 75% of training;
// - cyclic: triangular cycles of half an epoch between peak/10 and the peak (Smith 2017).
export const SCHEDULES = ['onecycle', 'step', 'cyclic']

/** The learning rate at progress `t` of training (`epochs` long). */
export function learningRate(schedule, peak, t, epochs) {
  switch (schedule) {
    case 'onecycle': {
      if (t < 0.3) return peak / 25 + (peak - peak / 25) * (t / 0.3)
      const u = (t - 0.3) / 0.7
      return peak / 1e4 + (peak - peak / 1e4) * 0.5 * (1 + Math.cos(Math.PI * u))
    }
    case 'step':
      return t < 0.5 ? peak : t < 0.75 ? peak / 10 : peak / 100
    case 'cyclic': {
      const cycles = t * epochs * 2 // half-epoch cycles
      const phase = cycles - Math.floor(cycles)
      const tri = phase < 0.5 ? phase * 2 : 2 - phase * 2
      return peak / 10 + (peak - peak / 10) * tri
    }
    default:
      throw new Error(`--schedule must be one of ${SCHEDULES.join(', ')}, not ${schedule}`)
  }
}

/** Sets the compiled optimizer's learning rate (tf.train.momentum / sgd). */
export function setLearningRate(model, rate) {
  model.optimizer.setLearningRate(rate)
}
