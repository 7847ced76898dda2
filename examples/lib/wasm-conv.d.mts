/** Registers fast convolution gradients (and a block-copy Tile) for the wasm backend. */
export function registerWasmConvGradients(): void
/** The filter gradient as wasm's 3-D one on a depth-1 view: the slow baseline (stride 1 only). */
export function registerWasmConv2dFilterGradViaConv3d(): void
