/* One declaration per options object: its keys, defaults and checks, and the type it resolves to. */
import { InstrumentError } from './errors.js'
import { assertOptions, describeValue } from './keys.js'

/*
 * In the spirit of valibot: an options object is declared once, as a record of fields, each
 * a check (what the value must be, said once for every message) and an optional default.
 * The declaration is tied to the options interface at compile time (every key declared,
 * none extra, each check returning the key's type), and parsing gives the resolved object
 * with defaults filled in. Every message has one form:
 * `<call>: <key> must be <what>, not <value>.`
 */

/** Checks one option value; returns it (narrowed) or throws `INVALID_OPTION`. */
export interface Check<T> {
  /** What a valid value is, as a message says it: `'a positive integer'`. */
  readonly expects: string
  /** True when `value` is valid. */
  readonly test: (value: unknown) => boolean
  /** For object values: the keys they may have, so that a misspelt one is named as such. */
  readonly keys?: readonly string[]
  /** The type a valid value has (for the compiler only; never set). */
  readonly type?: T
}

/** One declared option: its check and, when it has one, its default. */
export interface Field<T> {
  readonly check: Check<T>
  readonly default?: T
}

/** A declaration of options type `O`: one field per key, none missing, none extra. */
export type Declaration<O> = { readonly [K in keyof Required<O>]-?: Field<Exclude<O[K], undefined>> }

/** No key beyond those of `O`. */
export type Exact<O, D> = { readonly [K in Exclude<keyof D, keyof O>]: never }

/** What a declaration resolves to: defaulted keys always hold a value, the others may be undefined. */
export type Resolved<O, D extends Declaration<O>> = {
  -readonly [K in keyof Required<O>]-?: D[K] extends { default: unknown } ? Exclude<O[K], undefined> : Exclude<O[K], undefined> | undefined
}

/** A declared options object: its keys, and a parser. */
export interface Options<O, D extends Declaration<O>> {
  /** Every key, in declaration order (for did-you-mean and documentation checks). */
  readonly keys: readonly (keyof O & string)[]
  /** The declaration itself. */
  readonly fields: D
  /**
   * Checks `value` (undefined reads as `{}` unless `required`) and returns it with defaults
   * filled in; unknown keys and invalid values are `INVALID_OPTION` naming `where`.
   */
  parse(value: unknown, where?: string): Resolved<O, D>
  /** Checks a single key's value as `parse` would (for options given one at a time). */
  value<K extends keyof O & string>(key: K, value: unknown, where?: string): Exclude<O[K], undefined> | undefined
}

/** The one form of an invalid option's message. */
export function invalidOption(where: string, key: string, expects: string, value: unknown, hint = ''): InstrumentError {
  return new InstrumentError(
    'INVALID_OPTION',
    `${where}: ${key} must be ${expects}, not ${describeValue(value)}.${hint === '' ? '' : ` ${hint}`}`,
  )
}

/**
 * Declares the options object `O` once. Called as `declareOptions<O>()(where, fields)` so
 * that `O` is given and the fields are checked against it.
 *
 * @example
 * ```ts
 * interface ChartOptions { width?: number; title?: string }
 * const CHART = declareOptions<ChartOptions>()('chart(options)', {
 *   width: { check: integer(1), default: 400 },
 *   title: { check: string },
 * })
 * CHART.parse({ width: 300 }) // { width: 300, title: undefined }
 * ```
 */
export function declareOptions<O>(): <const D extends Declaration<O> & Exact<O, D>>(
  where: string,
  fields: D,
  options?: { required?: boolean },
) => Options<O, D> {
  return <const D extends Declaration<O> & Exact<O, D>>(where: string, fields: D, o: { required?: boolean } = {}): Options<O, D> => {
    const keys = Object.keys(fields) as (keyof O & string)[]
    const value = <K extends keyof O & string>(key: K, v: unknown, at = where): Exclude<O[K], undefined> | undefined => {
      const field = (fields as Record<string, Field<unknown>>)[key]!
      if (v === undefined) return field.default as Exclude<O[K], undefined> | undefined
      const keys = field.check.keys
      if (keys !== undefined && typeof v === 'object' && v !== null && !Array.isArray(v)) assertOptions(`${at}: ${key}`, v, keys)
      if (!field.check.test(v)) throw invalidOption(at, key, field.check.expects, v)
      return v as Exclude<O[K], undefined>
    }
    return {
      keys,
      fields,
      value,
      parse(input, at = where) {
        assertOptions(at, input, keys, o.required !== true)
        const given = (input ?? {}) as Record<string, unknown>
        const out: Record<string, unknown> = {}
        for (const key of keys) out[key] = value(key, Object.hasOwn(given, key) ? given[key] : undefined, at)
        return out as Resolved<O, D>
      },
    }
  }
}

/** A check from a test and the words for what passes it; `keys` for an object value's allowed keys. */
export function check<T>(expects: string, test: (value: unknown) => boolean, keys?: readonly string[]): Check<T> {
  return keys === undefined ? { expects, test } : { expects, test, keys }
}

/** An integer in `[min, max]`. */
export function integer(min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): Check<number> {
  const expects =
    max === Number.MAX_SAFE_INTEGER
      ? min === 1
        ? 'a positive integer'
        : min === 0
          ? 'a non-negative integer'
          : `an integer of at least ${min}`
      : `an integer from ${min} to ${max}`
  return check(expects, (v) => Number.isInteger(v) && (v as number) >= min && (v as number) <= max)
}

/** A finite number in `[min, max]`, or above `min` when `open`. */
export function number(min = -Infinity, max = Infinity, open = false): Check<number> {
  const low = min === -Infinity ? '' : open ? `above ${min}` : `at least ${min}`
  const high = max === Infinity ? '' : `at most ${max}`
  const expects =
    min === 0 && open && max === Infinity
      ? 'a positive number'
      : `a finite number${[low, high]
          .filter(Boolean)
          .map((s) => ` ${s}`)
          .join(' and')}`
  return check(expects, (v) => typeof v === 'number' && Number.isFinite(v) && (open ? v > min : v >= min) && v <= max)
}

/** One of the given strings. */
export function oneOf<const T extends readonly string[]>(values: T): Check<T[number]> {
  const words = values.map((v) => `'${v}'`)
  const expects = words.length === 1 ? words[0]! : `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`
  return check(expects, (v) => typeof v === 'string' && values.includes(v))
}

/** `true` or `false`. */
export const boolean: Check<boolean> = check('true or false', (v) => typeof v === 'boolean')

/** A string. */
export const string: Check<string> = check('a string', (v) => typeof v === 'string')

/** A function (of the type the declaration asks for). */
export function fn<T extends (...args: never[]) => unknown>(): Check<T> {
  return check('a function', (v) => typeof v === 'function')
}

/** An array of strings. */
export const strings: Check<readonly string[]> = check(
  'an array of strings',
  (v) => Array.isArray(v) && v.every((s) => typeof s === 'string'),
)

/** Anything: the value is checked where it is used (a tensor, labels), by code that knows more. */
export function later<T>(expects: string): Check<T> {
  return check(expects, () => true)
}

/** Either check. */
export function either<A, B>(a: Check<A>, b: Check<B>): Check<A | B> {
  return check(`${a.expects} or ${b.expects}`, (v) => a.test(v) || b.test(v))
}

/** A byte cap: a positive number, `Infinity` for none. */
export const bytes: Check<number> = check('a positive number of bytes (Infinity for no cap)', (v) => typeof v === 'number' && v > 0)
