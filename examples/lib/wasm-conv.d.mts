/** Registers fast convolution gradients (and a block-copy Tile) for the wasm backend. */
export function registerWasmConvGradients(): void
