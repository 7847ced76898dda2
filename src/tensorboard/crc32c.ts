/* CRC-32C (Castagnoli), as TFRecord framing checks it, and its masked form. */

let table: Uint32Array | null = null

/** The byte table of the reflected Castagnoli polynomial 0x82F63B78, made on first use. */
function crcTable(): Uint32Array {
  if (table !== null) return table
  table = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1
    table[n] = c >>> 0
  }
  return table
}

/** The CRC-32C of `bytes`. */
export function crc32c(bytes: Uint8Array): number {
  const t = crcTable()
  let c = 0xffffffff
  for (let i = 0; i < bytes.length; i++) c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

/** The masked CRC-32C TFRecord stores: rotated right by 15 bits, plus 0xa282ead8. */
export function maskedCrc32c(bytes: Uint8Array): number {
  const c = crc32c(bytes)
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0
}
