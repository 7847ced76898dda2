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

/**
 * A declaration of options type `O`: one field per key, none missing, each checking the
 * key's type. Written `{ ... } satisfies Declaration<O>`, which also refuses keys `O` has not.
 */
export type Declaration<O> = { readonly [K in keyof Required<O>]-?: Field<Exclude<O[K], undefined>> }

/** Any declaration. */
type Fields = Readonly<Record<string, Field<unknown>>>

/** The type a field's check passes. */
type ValueOf<F> = F extends Field<infer T> ? T : never

/** What a declaration resolves to: defaulted keys always hold a value, the others may be undefined. */
export type Resolved<D extends Fields> = {
  -readonly [K in keyof D]: D[K] extends { default: unknown } ? ValueOf<D[K]> : ValueOf<D[K]> | undefined
}

/** A declared options object: its keys, and a parser. */
export interface Options<D extends Fields> {
  /** Every key, in declaration order (for did-you-mean and documentation checks). */
  readonly keys: readonly (keyof D & string)[]
  /** The declaration itself. */
  readonly fields: D
  /**
   * Checks `value` (undefined reads as `{}` unless `required`) and returns it with defaults
   * filled in; unknown keys and invalid values are `INVALID_OPTION` naming `where`.
   */
  parse(value: unknown, where?: string): Resolved<D>
  /** Checks a single key's value as `parse` would (for options given one at a time). */
  value<K extends keyof D & string>(key: K, value: unknown, where?: string): ValueOf<D[K]> | undefined
}

/** The one form of an invalid option's message. */
export function invalidOption(where: string, key: string, expects: string, value: unknown, hint = ''): InstrumentError {
  return new InstrumentError(
    'INVALID_OPTION',
    `${where}: ${key} must be ${expects}, not ${describeValue(value)}.${hint === '' ? '' : ` ${hint}`}`,
  )
}

/**
 * Declares an options object once:
 * `declareOptions(call, () => ({ ... }) satisfies Declaration<O>)` ties the fields to the
 * options interface `O` (every key declared, none extra, each check of the key's type),
 * and the result parses options into `O` with defaults filled in. The fields are given as
 * a function, made on first use: a declaration costs nothing until it is used, and with
 * the call marked pure, bundlers drop the declarations of what an application leaves out.
 *
 * @example
 * ```ts
 * interface ChartOptions { width?: number; title?: string }
 * const CHART = declareOptions('chart(options)', () => ({
 *   width: { check: integer(1), default: 400 },
 *   title: { check: string },
 * }) satisfies Declaration<ChartOptions>)
 * CHART.parse({ width: 300 }) // { width: 300, title: undefined }
 * ```
 */
/* @__NO_SIDE_EFFECTS__ */
export function declareOptions<const D extends Fields>(where: string, make: () => D, o: { required?: boolean } = {}): Options<D> {
  let made: { fields: D; keys: (keyof D & string)[] } | null = null
  const get = (): { fields: D; keys: (keyof D & string)[] } => {
    if (made === null) {
      const fields = make()
      made = { fields, keys: Object.keys(fields) as (keyof D & string)[] }
    }
    return made
  }
  const value = <K extends keyof D & string>(key: K, v: unknown, at = where): ValueOf<D[K]> | undefined => {
    const field = get().fields[key] as Field<unknown>
    if (v === undefined) return field.default as ValueOf<D[K]> | undefined
    const keys = field.check.keys
    if (keys !== undefined && typeof v === 'object' && v !== null && !Array.isArray(v)) assertOptions(`${at}: ${key}`, v, keys)
    if (!field.check.test(v)) throw invalidOption(at, key, field.check.expects, v)
    return v as ValueOf<D[K]>
  }
  return {
    get keys() {
      return get().keys
    },
    get fields() {
      return get().fields
    },
    value,
    parse(input, at = where) {
      const { keys } = get()
      assertOptions(at, input, keys, o.required !== true)
      const given = (input ?? {}) as Record<string, unknown>
      const out: Record<string, unknown> = {}
      for (const key of keys) out[key] = value(key, Object.hasOwn(given, key) ? given[key] : undefined, at)
      return out as Resolved<D>
    },
  }
}

/** A check from a test and the words for what passes it; `keys` for an object value's allowed keys. */
/* @__NO_SIDE_EFFECTS__ */
export function check<T>(expects: string, test: (value: unknown) => boolean, keys?: readonly string[]): Check<T> {
  return keys === undefined ? { expects, test } : { expects, test, keys }
}

/** An integer in `[min, max]`. */
/* @__NO_SIDE_EFFECTS__ */
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
/* @__NO_SIDE_EFFECTS__ */
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
/* @__NO_SIDE_EFFECTS__ */
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
/* @__NO_SIDE_EFFECTS__ */
export function fn<T extends (...args: never[]) => unknown>(): Check<T> {
  return check('a function', (v) => typeof v === 'function')
}

/** An array of strings. */
export const strings: Check<readonly string[]> = check(
  'an array of strings',
  (v) => Array.isArray(v) && v.every((s) => typeof s === 'string'),
)

/** Anything: the value is checked where it is used (a tensor, labels), by code that knows more. */
/* @__NO_SIDE_EFFECTS__ */
export function later<T>(expects: string): Check<T> {
  return check(expects, () => true)
}

/** Either check. */
/* @__NO_SIDE_EFFECTS__ */
export function either<A, B>(a: Check<A>, b: Check<B>): Check<A | B> {
  return check(`${a.expects} or ${b.expects}`, (v) => a.test(v) || b.test(v))
}

/** A byte cap: a positive number, `Infinity` for none. */
export const bytes: Check<number> = check('a positive number of bytes (Infinity for no cap)', (v) => typeof v === 'number' && v > 0)
