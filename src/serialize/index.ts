/* Plain data to bytes and back: JSON text (versions 1, 2) and the binary form (version 3). */
import { InstrumentError } from '../errors.js'
import { deserializeBinary, isBinaryState } from './binary.js'
import { deserializeText } from './json.js'

export { serialize, SERIAL_FORMAT, SERIAL_VERSION } from './json.js'
export { serializeBinary, serializeBinaryParts, BINARY_VERSION } from './binary.js'

/**
 * Reads what {@link serialize} (JSON text) or {@link serializeBinary} (bytes) wrote,
 * exactly. Damaged, foreign or inconsistent data is `CORRUPT_DATA` (pattern tables are
 * checked against their invariants, so a crafted state cannot make a later `update` or
 * `merge` hang); data from an incompatible version is `UNSUPPORTED_VERSION`. Time is
 * O(n log n) in the size of the data (pattern tables are checked for duplicates by
 * sorting). An object is taken for a pattern table, and checked, only when it has exactly
 * a table's six fields with a table's types. Typed arrays read from bytes are views of
 * them (no copy) when the bytes start on an 8-byte boundary and are most of their buffer
 * (as `readFileSync` of a large file gives); else the bytes are copied once. Views share
 * memory with the bytes: change neither while you use the other.
 *
 * @example
 * ```ts
 * const again = deserialize(serialize({ counts: new Float64Array([1, 2]) }))
 * const same = deserialize(serializeBinary({ counts: new Float64Array([1, 2]) }))
 * ```
 */
export function deserialize(data: string | Uint8Array | ArrayBuffer): unknown {
  if (typeof data === 'string') return deserializeText(data)
  if (data instanceof ArrayBuffer) data = new Uint8Array(data)
  if (data instanceof Uint8Array) {
    if (isBinaryState(data)) return deserializeBinary(data)
    // JSON text read as bytes (readFileSync without an encoding)
    if (data[0] === 0x7b) return deserializeText(new TextDecoder().decode(data))
    return deserializeBinary(data)
  }
  throw new InstrumentError('CORRUPT_DATA', 'deserialize(): expected the text serialize() wrote or the bytes serializeBinary() wrote.')
}
