/** `count` MNIST examples from `start` of the 'train' or 'test' split: pixels in [0, 1] (count x 784) and labels. */
export function loadMnist(
  split: 'train' | 'test',
  start: number,
  count: number,
): { pixels: Float32Array; labels: Int32Array; count: number }
