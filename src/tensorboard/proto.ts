/* A minimal protocol buffer writer: the wire types the event file needs (varint, 64- and 32-bit, length-delimited). */

const encoder = new TextEncoder()

/** Bytes of one message, written field by field. */
export class ProtoWriter {
  private readonly parts: number[] = []

  private varint(value: number): void {
    // int64 steps beyond 2^53 are not written: the callers keep steps in safe integers
    let v = value
    while (v >= 0x80) {
      this.parts.push((v % 0x80) | 0x80)
      v = Math.floor(v / 0x80)
    }
    this.parts.push(v)
  }

  private key(field: number, wire: number): void {
    this.varint(field * 8 + wire)
  }

  /** A varint field (uint64/int64 of a non-negative safe integer). */
  uint(field: number, value: number): this {
    this.key(field, 0)
    this.varint(value)
    return this
  }

  /** A double field (64-bit, little-endian). */
  double(field: number, value: number): this {
    this.key(field, 1)
    const b = new Uint8Array(8)
    new DataView(b.buffer).setFloat64(0, value, true)
    for (const x of b) this.parts.push(x)
    return this
  }

  /** A float field (32-bit, little-endian). */
  float(field: number, value: number): this {
    this.key(field, 5)
    const b = new Uint8Array(4)
    new DataView(b.buffer).setFloat32(0, value, true)
    for (const x of b) this.parts.push(x)
    return this
  }

  /** A length-delimited field: bytes, a string (UTF-8) or an embedded message. */
  bytes(field: number, value: Uint8Array | string | ProtoWriter): this {
    const b = typeof value === 'string' ? encoder.encode(value) : value instanceof ProtoWriter ? value.finish() : value
    this.key(field, 2)
    this.varint(b.length)
    for (const x of b) this.parts.push(x)
    return this
  }

  /** A packed repeated double field. */
  doubles(field: number, values: ArrayLike<number>): this {
    const b = new Uint8Array(8 * values.length)
    const view = new DataView(b.buffer)
    for (let i = 0; i < values.length; i++) view.setFloat64(8 * i, values[i]!, true)
    return this.bytes(field, b)
  }

  /** The message's bytes. */
  finish(): Uint8Array {
    return Uint8Array.from(this.parts)
  }
}
