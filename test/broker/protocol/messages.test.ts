/**
 * Every message schema, every version it describes: encode a sample that sets every field, decode
 * it, and get the sample back (fields absent from that version come back as their defaults).
 * The samples are derived from the schemas themselves, and every file of broker/protocol/messages
 * is read, so a new message is covered as soon as its file exists. Golden bytes, written out by hand from the protocol guide's layouts or captured
 * from real clients, pin the encoding itself.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Reader, Writer } from '../../../broker/protocol/primitives';
import {
  decodeMessage,
  encodeMessage,
  type ArrayType,
  type Fields,
  type MessageSchema,
  type StructType,
  type WireType,
} from '../../../broker/protocol/schema';
import { ApiVersionsRequest, ApiVersionsResponse } from '../../../broker/protocol/messages/api-versions';
import { MetadataRequest } from '../../../broker/protocol/messages/metadata';
import { ProduceResponse } from '../../../broker/protocol/messages/produce';
import { RequestHeader } from '../../../broker/protocol/messages/header';
import { BROKER_APIS } from '../../../broker/api/registry';

const isMessage = (value: unknown): value is MessageSchema =>
  typeof value === 'object' && value !== null && 'body' in value && 'validVersions' in value;

/** Every schema of every file in broker/protocol/messages: a new file is covered without listing it. */
const MESSAGES_DIR = path.join(__dirname, '../../../broker/protocol/messages');
const MESSAGES: MessageSchema[] = fs
  .readdirSync(MESSAGES_DIR)
  .filter((file) => file.endsWith('.ts'))
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- every file found in the directory, by design
  .flatMap((file) => Object.values(require(path.join(MESSAGES_DIR, file)) as Record<string, unknown>).filter(isMessage));

type Mode = 'values' | 'nulls';

/** A value for `type` that differs from its default; `n` varies the values. */
function sample(type: WireType<unknown>, version: number, mode: Mode, n: number): unknown {
  if ('fields' in type) return sampleStruct(type as StructType<Fields>, version, mode, n);
  if ('item' in type) {
    const item = (type as ArrayType<unknown, unknown>).item;
    return [sample(item, version, mode, n + 1), sample(item, version, mode, n + 2)];
  }
  switch (type.name) {
    case 'int8':
      return (n % 100) + 1;
    case 'int16':
    case 'int32':
    case 'uint16':
      return n * 7 + 1;
    case 'int64':
      return BigInt(n) * 1_000_000_007n + 1n;
    case 'float64':
      return n + 0.5;
    case 'bool':
      return true;
    case 'uuid':
      return Buffer.alloc(16, n);
    case 'string':
      return `s${n}-é`;
    case 'bytes':
    case 'records':
      return Buffer.alloc(n % 5 === 0 ? 2000 : 3, n);
    default:
      throw new Error(`no sample for ${type.name}`);
  }
}

function sampleStruct(type: StructType<Fields>, version: number, mode: Mode, n: number): Record<string, unknown> {
  const value: Record<string, unknown> = {};
  Object.entries(type.fields).forEach(([key, field], i) => {
    if (!field.versions.includes(version)) value[key] = field.defaultValue();
    else if (mode === 'nulls' && field.nullableVersions.includes(version)) value[key] = null;
    else value[key] = sample(field.type, version, mode, n * 10 + i);
  });
  return value;
}

function versionsOf(schema: MessageSchema): number[] {
  const versions: number[] = [];
  for (let v = schema.validVersions.min; v <= schema.validVersions.max; v++) versions.push(v);
  return versions;
}

const cases = MESSAGES.flatMap((schema) =>
  versionsOf(schema).flatMap((version) => (['values', 'nulls'] as Mode[]).map((mode) => ({ schema, version, mode }))),
);

describe('round trips', () => {
  test('cover the messages of every API this broker serves', () => {
    const names = new Set(MESSAGES.map((m) => m.name));
    for (const api of BROKER_APIS) {
      expect(names).toContain(api.request.name);
      expect(names).toContain(api.response.name);
    }
    expect(names).toContain('RequestHeader');
    expect(names).toContain('ResponseHeader');
  });

  test.each(cases.map((c) => [c.schema.name, c.version, c.mode, c]))('%s v%d (%s)', (_name, _v, _m, { schema, version, mode }) => {
    const value = sampleStruct(schema.body, version, mode, 1);
    const writer = new Writer();
    encodeMessage(schema, version, value as never, writer);
    const reader = new Reader(writer.toBuffer());
    expect(decodeMessage(schema, version, reader)).toEqual(value);
    expect(reader.remaining).toBe(0);
  });

  test('fields left out by an encoder take their defaults', () => {
    const writer = new Writer();
    encodeMessage(ProduceResponse, 8, { responses: [{ name: 't', partitionResponses: [{ index: 0, errorCode: 0, baseOffset: 3n }] }] }, writer);
    expect(decodeMessage(ProduceResponse, 8, new Reader(writer.toBuffer()))).toEqual({
      responses: [
        {
          name: 't',
          partitionResponses: [
            { index: 0, errorCode: 0, baseOffset: 3n, logAppendTimeMs: -1n, logStartOffset: -1n, recordErrors: [], errorMessage: null },
          ],
        },
      ],
      throttleTimeMs: 0,
    });
  });
});

describe('golden bytes', () => {
  const decode = <S extends Fields>(schema: MessageSchema<S>, version: number, hex: string) => {
    const reader = new Reader(Buffer.from(hex, 'hex'));
    const value = decodeMessage(schema, version, reader);
    expect(reader.remaining).toBe(0);
    return value;
  };
  const encode = <S extends Fields>(schema: MessageSchema<S>, version: number, value: Parameters<typeof encodeMessage<S>>[2]) => {
    const writer = new Writer();
    encodeMessage(schema, version, value, writer);
    return writer.toBuffer().toString('hex');
  };

  // Captured from kcat (librdkafka 2.0.2): ApiVersions v3, request header v2 (frame without size).
  const KCAT_API_VERSIONS_V3 = '0012000300000001000772646b61666b61000b6c696272646b61666b6106322e302e3200';
  test('librdkafka ApiVersions v3: header v2 keeps a classic client id, then a flexible body', () => {
    const reader = new Reader(Buffer.from(KCAT_API_VERSIONS_V3, 'hex'));
    expect(decodeMessage(RequestHeader, 2, reader)).toEqual({
      requestApiKey: 18,
      requestApiVersion: 3,
      correlationId: 1,
      clientId: 'rdkafka',
    });
    expect(decodeMessage(ApiVersionsRequest, 3, reader)).toEqual({ clientSoftwareName: 'librdkafka', clientSoftwareVersion: '2.0.2' });
    expect(reader.remaining).toBe(0);
  });

  // Captured from kafka-python 2.0.2: Metadata v0 for all topics.
  test('kafka-python Metadata v0: header v1 and an empty topic list', () => {
    const reader = new Reader(Buffer.from('00030000000000020012' + Buffer.from('kafka-python-2.0.2').toString('hex') + '00000000', 'hex'));
    expect(decodeMessage(RequestHeader, 1, reader)).toEqual({
      requestApiKey: 3,
      requestApiVersion: 0,
      correlationId: 2,
      clientId: 'kafka-python-2.0.2',
    });
    expect(decodeMessage(MetadataRequest, 0, reader)).toEqual({
      topics: [],
      allowAutoTopicCreation: true,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
  });

  test('Metadata v1 with a null topic list (all topics)', () => {
    expect(decode(MetadataRequest, 1, 'ffffffff').topics).toBeNull();
  });

  test('ApiVersions v0 response: error, then [key, min, max]', () => {
    expect(encode(ApiVersionsResponse, 0, { errorCode: 0, apiKeys: [{ apiKey: 0, minVersion: 3, maxVersion: 8 }] })).toBe(
      '0000' + '00000001' + '0000' + '0003' + '0008',
    );
  });

  test('ApiVersions v3 response: compact array, tagged fields after each entry and the body', () => {
    expect(encode(ApiVersionsResponse, 3, { errorCode: 0, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 3 }] })).toBe(
      '0000' + '02' + '0012' + '0000' + '0003' + '00' + '00000000' + '00',
    );
  });

  test('Produce v3 response: topic, partition, error, base offset, log append time, throttle', () => {
    expect(
      encode(ProduceResponse, 3, {
        responses: [{ name: 't', partitionResponses: [{ index: 0, errorCode: 0, baseOffset: 5n }] }],
        throttleTimeMs: 0,
      }),
    ).toBe('00000001' + '000174' + '00000001' + '00000000' + '0000' + '0000000000000005' + 'ffffffffffffffff' + '00000000');
  });
});
