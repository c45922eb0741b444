/**
 * Typed schemas for TLV records (docs/format.md §Records). A schema is an object of fields in tag
 * order; its value type follows from it (`Values<S>`), so a record is encoded from, and decoded to, a
 * typed object: a wrong field name or type does not compile. Field names are camelCase in code and
 * snake_case in docs and error messages (`vaultId` is `vault_id`).
 */

interface FieldBase {
  readonly tag: number
  readonly optional?: true
}

export interface BytesField extends FieldBase {
  readonly type: 'bytes'
  readonly length: number
}
export interface VarbytesField extends FieldBase {
  readonly type: 'varbytes'
  readonly max: number
}
export interface IntField extends FieldBase {
  readonly type: 'u8' | 'u16' | 'u32' | 'u64'
  readonly min?: number
  readonly max?: number
}
/** A u8 on the wire that names one of a closed set of values. */
export interface EnumField<V extends string> extends FieldBase {
  readonly type: 'enum'
  readonly values: Readonly<Record<V, number>>
}
export interface Utf8Field extends FieldBase {
  readonly type: 'utf8'
  readonly max: number
}
export interface Utf8ListField extends FieldBase {
  readonly type: 'utf8list'
  readonly max: number
  readonly maxItems: number
}

/** How one fixed-size item of a packed field is read and written. */
export interface PackedItem<T> {
  readonly stride: number
  /** Items must strictly increase by their first `sortKey` bytes (sorted and unique). */
  readonly sortKey?: number
  // methods, so a PackedItem<ChunkRef> is usable where any item is expected
  encode(item: T): Uint8Array
  decode(bytes: Uint8Array): T
}
export interface PackedField<T> extends FieldBase {
  readonly type: 'packed'
  readonly item: PackedItem<T>
  readonly maxItems: number
}
export interface ListField<S extends SchemaFields> extends FieldBase {
  readonly type: 'list'
  readonly item: Schema<S>
  readonly maxItems: number
  readonly maxItemBytes: number
}

export type AnyField =
  | BytesField
  | VarbytesField
  | IntField
  | EnumField<string>
  | Utf8Field
  | Utf8ListField
  | PackedField<unknown>
  | ListField<SchemaFields>

export type SchemaFields = { readonly [name: string]: AnyField }

export interface Schema<S extends SchemaFields = SchemaFields> {
  /** The record's name in errors (`malformed roster: …`). */
  readonly record: string
  readonly fields: S
}

/** The value a field holds once decoded (and takes to be encoded). */
export type ValueOf<F> = F extends BytesField | VarbytesField
  ? Uint8Array
  : F extends IntField
    ? number
    : F extends EnumField<infer V>
      ? V
      : F extends Utf8Field
        ? string
        : F extends Utf8ListField
          ? readonly string[]
          : F extends PackedField<infer T>
            ? readonly T[]
            : F extends ListField<infer S>
              ? readonly Values<S>[]
              : never

type _RequiredKeys<S> = { [K in keyof S]: S[K] extends { optional: true } ? never : K }[keyof S]
type _OptionalKeys<S> = Exclude<keyof S, _RequiredKeys<S>>

/** The typed object a schema encodes and decodes: optional fields are optional properties. */
export type Values<S extends SchemaFields> = {
  readonly [K in _RequiredKeys<S>]: ValueOf<S[K]>
} & { readonly [K in _OptionalKeys<S>]?: ValueOf<S[K]> }

/** Items of `stride` bytes taken as they are. */
export function rawItems(stride: number, sortKey?: number): PackedItem<Uint8Array> {
  return {
    stride,
    ...(sortKey !== undefined ? { sortKey } : {}),
    encode: (item) => item,
    decode: (bytes) => bytes,
  }
}

/** Field constructors: `field.bytes(1, 32)` is tag 1, exactly 32 bytes. */
export const field = {
  bytes: (tag: number, length: number): BytesField => ({ tag, type: 'bytes', length }),
  varbytes: (tag: number, max: number): VarbytesField => ({ tag, type: 'varbytes', max }),
  u8: (tag: number, range: { min?: number; max?: number } = {}): IntField => ({ tag, type: 'u8', ...range }),
  u16: (tag: number, range: { min?: number; max?: number } = {}): IntField => ({
    tag,
    type: 'u16',
    ...range,
  }),
  u32: (tag: number, range: { min?: number; max?: number } = {}): IntField => ({
    tag,
    type: 'u32',
    ...range,
  }),
  u64: (tag: number, range: { min?: number; max?: number } = {}): IntField => ({
    tag,
    type: 'u64',
    ...range,
  }),
  enumeration: <V extends string>(tag: number, values: Readonly<Record<V, number>>): EnumField<V> => ({
    tag,
    type: 'enum',
    values,
  }),
  utf8: (tag: number, max: number): Utf8Field => ({ tag, type: 'utf8', max }),
  utf8list: (tag: number, max: number, maxItems: number): Utf8ListField => ({
    tag,
    type: 'utf8list',
    max,
    maxItems,
  }),
  packed: <T>(tag: number, item: PackedItem<T>, maxItems: number): PackedField<T> => ({
    tag,
    type: 'packed',
    item,
    maxItems,
  }),
  list: <S extends SchemaFields>(
    tag: number,
    item: Schema<S>,
    maxItems: number,
    maxItemBytes: number,
  ): ListField<S> => ({ tag, type: 'list', item, maxItems, maxItemBytes }),
  optional: <F extends AnyField>(f: F): F & { readonly optional: true } => ({ ...f, optional: true }),
} as const

/** A field's name as docs/format.md and error messages spell it: `manifestHash` is `manifest_hash`. */
export function wireName(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)
}

/** Define a schema, checking once that its tags increase and fit in a byte. */
export function defineSchema<S extends SchemaFields>(record: string, fields: S): Schema<S> {
  let prev = -1
  for (const [name, f] of Object.entries(fields)) {
    // tags are one byte and strictly increasing, which is what makes the encoding canonical
    if (!Number.isInteger(f.tag) || f.tag <= prev || f.tag > 0xff)
      throw new RangeError(`${record}.${name}: bad tag ${f.tag}`)
    if (f.type === 'enum' && new Set(Object.values(f.values)).size !== Object.keys(f.values).length)
      throw new RangeError(`${record}.${name}: two names share one value`)
    prev = f.tag
  }
  return { record, fields }
}
