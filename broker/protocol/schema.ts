/**
 * The declarative message codec. Each Kafka message is described once, the way Kafka's JSON
 * schemas describe it (clients/src/main/resources/common/message/*.json): an ordered list of
 * fields, each with the versions it exists in and the versions in which it may be null, nested
 * arrays of structs, and the message's flexible versions. Encoding and decoding for every version
 * are derived from that description; no code is written per version.
 *
 *   export const ExampleRequest = message({
 *     name: 'ExampleRequest', apiKey: 99, validVersions: '0-3', flexibleVersions: '3+',
 *     fields: {
 *       topics: structs('0+', {
 *         name: string('0+'),
 *         partitions: array('0+', types.int32),
 *       }, { nullableVersions: '1+' }),
 *       timeoutMs: int32('2+', { default: 60000 }),
 *     },
 *   });
 *   const request: Decoded<typeof ExampleRequest> = decodeMessage(ExampleRequest, version, reader);
 *
 * Rules, as in Kafka's generated code:
 * - A field absent from a version is skipped on the wire; decoding fills it with its default
 *   (the `default` option, else 0, '', false, [] or null for a nullable field).
 * - Flexible versions use compact strings, bytes and arrays (unsigned varint length + 1) and end
 *   every struct with a tagged-field section. Unknown tagged fields are skipped when reading; the
 *   codec writes none (nothing this broker sends needs them). A field can opt out of the compact
 *   encoding with `flexibleVersions: 'none'` (the client id of request header v2 does).
 * - TypeScript types follow from the description: `Decoded<M>` is what a decoder returns,
 *   `Encodable<M>` what an encoder accepts, where fields with an explicit `default` may be left out.
 */
import { MalformedDataError, type Reader, type Writer } from './primitives';

// ---------------------------------------------------------------------------------------------
// Version ranges

export class VersionRange {
  static readonly NONE = new VersionRange(0, -1);

  constructor(
    readonly min: number,
    /** Inclusive; Infinity for an open range ("3+"). */
    readonly max: number,
  ) {}

  /** Parses Kafka's notation: "0+", "3-5", "7" or "none". */
  static parse(spec: string): VersionRange {
    if (spec === 'none') return VersionRange.NONE;
    const match = /^(\d+)(?:(\+)|-(\d+))?$/.exec(spec);
    if (!match) throw new Error(`invalid version range "${spec}": expected "N+", "N-M", "N" or "none"`);
    const min = Number(match[1]);
    const max = match[2] ? Infinity : match[3] !== undefined ? Number(match[3]) : min;
    if (max < min) throw new Error(`invalid version range "${spec}": ${max} is below ${min}`);
    return new VersionRange(min, max);
  }

  includes(version: number): boolean {
    return version >= this.min && version <= this.max;
  }

  toString(): string {
    if (this.max < this.min) return 'none';
    if (this.max === Infinity) return `${this.min}+`;
    return this.min === this.max ? `${this.min}` : `${this.min}-${this.max}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Wire types

/** What every field read or write needs to know about where it is. */
export interface CodecContext {
  readonly version: number;
  /** True when this field is in a flexible version (compact encodings). */
  readonly flexible: boolean;
  /** True when this field may be null in this version. */
  readonly nullable: boolean;
}

/**
 * How one type is laid out on the wire. `T` is the decoded value, `I` what the encoder accepts
 * (they differ for structs, whose defaulted fields may be omitted when encoding).
 */
export interface WireType<T, I = T> {
  readonly name: string;
  /** The value of an absent field without an explicit default. */
  readonly zero: () => T;
  read(reader: Reader, context: CodecContext): T | null;
  write(writer: Writer, value: I | null, context: CodecContext): void;
}

function fixed<T>(name: string, zero: T, read: (r: Reader) => T, write: (w: Writer, v: T) => void): WireType<T> {
  return {
    name,
    zero: () => zero,
    read: (reader) => read(reader),
    write: (writer, value) => {
      if (value === null) throw new TypeError(`${name} cannot be null`);
      write(writer, value);
    },
  };
}

/** Reads a length prefix: int16/int32 (-1 = null) or, in flexible versions, uvarint length + 1. */
function readLength(reader: Reader, context: CodecContext, classic: 'int16' | 'int32', what: string): number | null {
  const length = context.flexible ? reader.uvarint() - 1 : classic === 'int16' ? reader.int16() : reader.int32();
  if (length < -1) throw new MalformedDataError(`${what} has invalid length ${length}`);
  if (length === -1) {
    if (!context.nullable) throw new MalformedDataError(`${what} is null in version ${context.version}, where it is not nullable`);
    return null;
  }
  return length;
}

function writeLength(writer: Writer, length: number | null, context: CodecContext, classic: 'int16' | 'int32', what: string): void {
  if (length === null && !context.nullable) {
    throw new TypeError(`${what} cannot be null in version ${context.version}`);
  }
  const value = length ?? -1;
  if (context.flexible) writer.uvarint(value + 1);
  else if (classic === 'int16') writer.int16(value);
  else writer.int32(value);
}

const MAX_STRING_BYTES = 0x7fff;

const stringType: WireType<string> = {
  name: 'string',
  zero: () => '',
  read(reader, context) {
    const length = readLength(reader, context, 'int16', 'string');
    return length === null ? null : reader.utf8(length);
  },
  write(writer, value, context) {
    const length = value === null ? null : Buffer.byteLength(value, 'utf8');
    if (length !== null && length > MAX_STRING_BYTES) throw new RangeError(`string of ${length} bytes exceeds ${MAX_STRING_BYTES}`);
    writeLength(writer, length, context, 'int16', 'string');
    if (value !== null) writer.utf8(value);
  },
};

const bytesType: WireType<Buffer> = {
  name: 'bytes',
  zero: () => Buffer.alloc(0),
  read(reader, context) {
    const length = readLength(reader, context, 'int32', 'bytes');
    return length === null ? null : reader.raw(length);
  },
  write(writer, value, context) {
    writeLength(writer, value === null ? null : value.length, context, 'int32', 'bytes');
    if (value !== null) writer.raw(value);
  },
};

/** The wire types of Kafka's schemas. `records` is bytes holding record batches. */
export const types = {
  int8: fixed<number>('int8', 0, (r) => r.int8(), (w, v) => w.int8(v)),
  int16: fixed<number>('int16', 0, (r) => r.int16(), (w, v) => w.int16(v)),
  uint16: fixed<number>('uint16', 0, (r) => r.uint16(), (w, v) => w.uint16(v)),
  int32: fixed<number>('int32', 0, (r) => r.int32(), (w, v) => w.int32(v)),
  int64: fixed<bigint>('int64', 0n, (r) => r.int64(), (w, v) => w.int64(v)),
  float64: fixed<number>('float64', 0, (r) => r.float64(), (w, v) => w.float64(v)),
  bool: fixed<boolean>('bool', false, (r) => r.bool(), (w, v) => w.bool(v)),
  uuid: fixed<Buffer>('uuid', Buffer.alloc(16), (r) => r.uuid(), (w, v) => w.uuid(v)),
  string: stringType,
  bytes: bytesType,
  records: { ...bytesType, name: 'records' } as WireType<Buffer>,
} as const;

export interface ArrayType<T, I> extends WireType<T[], I[]> {
  readonly item: WireType<T, I>;
}

export function arrayOf<T, I>(item: WireType<T, I>): ArrayType<T, I> {
  const itemContext = (context: CodecContext): CodecContext => ({ ...context, nullable: false });
  return {
    name: `[]${item.name}`,
    item,
    zero: () => [],
    read(reader, context) {
      const length = readLength(reader, context, 'int32', `array of ${item.name}`);
      if (length === null) return null;
      // Each element takes at least one byte: a count above what is left is a lie, not a reason
      // to allocate a huge array.
      if (length > reader.remaining) {
        throw new MalformedDataError(`array of ${item.name} claims ${length} elements but only ${reader.remaining} bytes remain`);
      }
      const inner = itemContext(context);
      const values: T[] = new Array<T>(length);
      for (let i = 0; i < length; i++) values[i] = item.read(reader, inner) as T;
      return values;
    },
    write(writer, values, context) {
      writeLength(writer, values === null ? null : values.length, context, 'int32', `array of ${item.name}`);
      if (values === null) return;
      const inner = itemContext(context);
      for (const value of values) item.write(writer, value, inner);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Fields and structs

export interface FieldOptions<T> {
  /** Versions in which the field may be null (strings, bytes, records, arrays). */
  readonly nullableVersions?: string;
  /** The value of the field in versions where it is absent, and when an encoder omits it. */
  readonly default?: T | null;
  /** Overrides the message's flexible versions for this field ('none' keeps the classic encoding). */
  readonly flexibleVersions?: string;
}

/**
 * One field of a struct. The type parameters only carry TypeScript types: `T` decoded, `I`
 * accepted by the encoder, `Optional` whether an encoder may leave it out.
 */
export interface Field<T, I = T, Optional extends boolean = boolean> {
  readonly type: WireType<unknown, unknown>;
  readonly versions: VersionRange;
  readonly nullableVersions: VersionRange;
  readonly flexibleVersions: VersionRange | undefined;
  readonly defaultValue: () => unknown;
  /** Phantom: never set at run time. */
  readonly __types?: { decoded: T; input: I; optional: Optional };
}

type Nullable<O, T> = O extends { nullableVersions: string } ? T | null : T;
type HasDefault<O> = O extends { default: unknown } ? true : false;

export function field<T, I, O extends FieldOptions<T> = Record<never, never>>(
  type: WireType<T, I>,
  versions: string,
  options?: O,
): Field<Nullable<O, T>, Nullable<O, I>, HasDefault<O>> {
  const nullableVersions = VersionRange.parse(options?.nullableVersions ?? 'none');
  const explicitDefault = options !== undefined && 'default' in options;
  return {
    type,
    versions: VersionRange.parse(versions),
    nullableVersions,
    flexibleVersions: options?.flexibleVersions === undefined ? undefined : VersionRange.parse(options.flexibleVersions),
    defaultValue: explicitDefault ? () => options.default : type.zero,
  };
}

export type Fields = Record<string, Field<unknown, unknown, boolean>>;

type DecodedOf<F> = F extends Field<infer T, unknown, boolean> ? T : never;
type InputOf<F> = F extends Field<unknown, infer I, boolean> ? I : never;
type OptionalKeys<S extends Fields> = { [K in keyof S]: S[K] extends Field<unknown, unknown, true> ? K : never }[keyof S];
type RequiredKeys<S extends Fields> = Exclude<keyof S, OptionalKeys<S>>;

export type DecodedStruct<S extends Fields> = { [K in keyof S]: DecodedOf<S[K]> };
export type EncodableStruct<S extends Fields> = { [K in RequiredKeys<S>]: InputOf<S[K]> } & {
  [K in OptionalKeys<S>]?: InputOf<S[K]>;
};

export interface StructType<S extends Fields> extends WireType<DecodedStruct<S>, EncodableStruct<S>> {
  readonly fields: S;
}

function skipTaggedFields(reader: Reader): void {
  const count = reader.uvarint();
  for (let i = 0; i < count; i++) {
    reader.uvarint(); // tag
    reader.raw(reader.uvarint());
  }
}

export function struct<S extends Fields>(fields: S, name = 'struct'): StructType<S> {
  const entries = Object.entries(fields);
  const fieldContext = (spec: Field<unknown>, context: CodecContext): CodecContext => ({
    version: context.version,
    flexible: spec.flexibleVersions ? spec.flexibleVersions.includes(context.version) : context.flexible,
    nullable: spec.nullableVersions.includes(context.version),
  });
  return {
    name,
    fields,
    zero: () => Object.fromEntries(entries.map(([key, spec]) => [key, spec.defaultValue()])) as DecodedStruct<S>,
    read(reader, context) {
      const value: Record<string, unknown> = {};
      for (const [key, spec] of entries) {
        if (!spec.versions.includes(context.version)) {
          value[key] = spec.defaultValue();
          continue;
        }
        try {
          value[key] = spec.type.read(reader, fieldContext(spec, context));
        } catch (error) {
          if (error instanceof MalformedDataError) throw error.within(key);
          throw error;
        }
      }
      if (context.flexible) skipTaggedFields(reader);
      return value as DecodedStruct<S>;
    },
    write(writer, value, context) {
      if (value === null) throw new TypeError(`${name} cannot be null`);
      const given = value as Record<string, unknown>;
      for (const [key, spec] of entries) {
        if (!spec.versions.includes(context.version)) continue;
        const fieldValue = key in given && given[key] !== undefined ? given[key] : spec.defaultValue();
        try {
          spec.type.write(writer, fieldValue, fieldContext(spec, context));
        } catch (error) {
          if (error instanceof Error) error.message = `${name}.${key}: ${error.message}`;
          throw error;
        }
      }
      if (context.flexible) writer.uvarint(0); // no tagged fields
    },
  };
}

// Shorthands for message files: `int32('0+')`, `string('1+', { nullableVersions: '1+' })`, ...
const scalar =
  <T>(type: WireType<T>) =>
  <O extends FieldOptions<T> = Record<never, never>>(versions: string, options?: O) =>
    field(type, versions, options);

export const int8 = scalar(types.int8);
export const int16 = scalar(types.int16);
export const uint16 = scalar(types.uint16);
export const int32 = scalar(types.int32);
export const int64 = scalar(types.int64);
export const float64 = scalar(types.float64);
export const bool = scalar(types.bool);
export const uuid = scalar(types.uuid);
export const string = scalar(types.string);
export const bytes = scalar(types.bytes);
export const records = scalar(types.records);

/** An array of a primitive type, e.g. `array('0+', types.int32)`. */
export function array<T, I, O extends FieldOptions<T[]> = Record<never, never>>(
  versions: string,
  item: WireType<T, I>,
  options?: O,
): Field<Nullable<O, T[]>, Nullable<O, I[]>, HasDefault<O>> {
  return field(arrayOf(item), versions, options);
}

/** An array of structs, described inline. */
export function structs<S extends Fields, O extends FieldOptions<DecodedStruct<S>[]> = Record<never, never>>(
  versions: string,
  fields: S,
  options?: O,
): Field<Nullable<O, DecodedStruct<S>[]>, Nullable<O, EncodableStruct<S>[]>, HasDefault<O>> {
  return field(arrayOf(struct(fields)), versions, options);
}

// ---------------------------------------------------------------------------------------------
// Messages

export interface MessageSchema<S extends Fields = Fields> {
  readonly name: string;
  readonly apiKey: number;
  readonly validVersions: VersionRange;
  readonly flexibleVersions: VersionRange;
  readonly body: StructType<S>;
}

export type Decoded<M> = M extends MessageSchema<infer S> ? DecodedStruct<S> : never;
export type Encodable<M> = M extends MessageSchema<infer S> ? EncodableStruct<S> : never;

export function message<S extends Fields>(description: {
  name: string;
  apiKey: number;
  validVersions: string;
  flexibleVersions: string;
  fields: S;
}): MessageSchema<S> {
  return {
    name: description.name,
    apiKey: description.apiKey,
    validVersions: VersionRange.parse(description.validVersions),
    flexibleVersions: VersionRange.parse(description.flexibleVersions),
    body: struct(description.fields, description.name),
  };
}

function messageContext(schema: MessageSchema, version: number): CodecContext {
  if (!schema.validVersions.includes(version)) {
    throw new RangeError(`${schema.name} has no version ${version} (valid: ${schema.validVersions.toString()})`);
  }
  return { version, flexible: schema.flexibleVersions.includes(version), nullable: false };
}

export function decodeMessage<S extends Fields>(schema: MessageSchema<S>, version: number, reader: Reader): DecodedStruct<S> {
  return schema.body.read(reader, messageContext(schema, version)) as DecodedStruct<S>;
}

export function encodeMessage<S extends Fields>(
  schema: MessageSchema<S>,
  version: number,
  value: EncodableStruct<S>,
  writer: Writer,
): void {
  schema.body.write(writer, value, messageContext(schema, version));
}

export function isFlexible(schema: MessageSchema, version: number): boolean {
  return schema.flexibleVersions.includes(version);
}
