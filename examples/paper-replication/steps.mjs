// Times training steps of a network on whatever backend is set; runs in Node and in a page.

/** Median ms per step of `steps` training steps after one warm-up step (runs anywhere). */
export async function timeSteps(tf, network, config, batch, steps) {
  const model = network(config)
  const xs = tf.randomUniform([batch, 28, 28, 1], 0, 1, 'float32', 1)
  const ys = tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32', 2), 10)
  const times = []
  for (let i = 0; i <= steps; i++) {
    const t = performance.now()
    await model.trainOnBatch(xs, ys)
    if (i > 0) times.push(performance.now() - t)
  }
  model.dispose()
  tf.dispose([xs, ys])
  times.sort((a, b) => a - b)
  return { median: times[times.length >> 1], min: times[0], max: times[times.length - 1], steps }
}
