/* A streaming 64-bit fingerprint of words, to tell inputs and states apart. */
/**
 * A streaming 64-bit fingerprint of a sequence of 32-bit words: two independent
 * multiplicative lanes. Feeding the same words in any chunking gives the same value.
 * It tells apart inputs by accident, not against an adversary.
 */
export interface Fingerprint {
  a: number
  b: number
  words: number
}

/** A fresh fingerprint. */
export function fingerprint(): Fingerprint {
  return { a: 0x811c9dc5, b: 0x5bd1e995, words: 0 }
}

/** Feeds words into a fingerprint. */
export function fingerprintAdd(f: Fingerprint, words: Uint32Array): void {
  let { a, b } = f
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!
    a = Math.imul(a ^ w, 0x01000193)
    b = Math.imul(((b << 5) | (b >>> 27)) ^ w, 0x9e3779b1) + 0x7f4a7c15
  }
  f.a = a
  f.b = b | 0
  f.words += words.length
}

/** Hex digest of a fingerprint, including how many words went in. */
export function fingerprintHex(f: Fingerprint): string {
  const hex = (n: number): string => (n >>> 0).toString(16).padStart(8, '0')
  return `${hex(f.a)}${hex(f.b)}-${f.words}`
}
