import { MalformedDataError, Reader, Writer } from '../../../broker/protocol/primitives';
import {
  array,
  bytes,
  decodeMessage,
  encodeMessage,
  int16,
  int32,
  message,
  string,
  structs,
  types,
  VersionRange,
  type Encodable,
} from '../../../broker/protocol/schema';

describe('VersionRange', () => {
  test.each([
    ['0+', 0, Infinity],
    ['3-5', 3, 5],
    ['7', 7, 7],
  ])('parses %s', (spec, min, max) => {
    const range = VersionRange.parse(spec);
    expect([range.min, range.max]).toEqual([min, max]);
    expect(range.toString()).toBe(spec);
  });

  test('none includes nothing', () => {
    expect(VersionRange.parse('none').includes(0)).toBe(false);
  });

  test.each(['', '1+2', 'x', '5-3'])('rejects %j', (spec) => {
    expect(() => VersionRange.parse(spec)).toThrow(`invalid version range "${spec}"`);
  });
});

const Example = message({
  name: 'Example',
  apiKey: 99,
  validVersions: '0-3',
  flexibleVersions: '3+',
  fields: {
    id: int32('0+'),
    name: string('1+', { nullableVersions: '2+', default: 'none' }),
    tags: array('0+', types.string),
    items: structs(
      '0+',
      { code: int16('0+'), payload: bytes('0+', { nullableVersions: '0+' }) },
      { nullableVersions: '1+' },
    ),
    note: string('3+', { flexibleVersions: 'none', default: '' }),
  },
});

function encode(version: number, value: Encodable<typeof Example>): Buffer {
  const writer = new Writer();
  encodeMessage(Example, version, value, writer);
  return writer.toBuffer();
}

const sample = { id: 7, name: 'abc', tags: ['x'], items: [{ code: 1, payload: Buffer.from('p') }], note: 'n' };

describe('derived codec', () => {
  test('v0 leaves out fields of later versions and decodes them as defaults', () => {
    const bytes = encode(0, sample);
    // id | tags: [ "x" ] | items: [ { code 1, payload "p" } ]
    expect(bytes.toString('hex')).toBe('00000007' + '00000001' + '000178' + '00000001' + '0001' + '0000000170');
    expect(decodeMessage(Example, 0, new Reader(bytes))).toEqual({ ...sample, name: 'none', note: '' });
  });

  test('a flexible version uses compact lengths and tagged-field sections', () => {
    const bytes = encode(3, sample);
    // id | name compact | tags compact [ "x" ] | items compact [ { code, payload compact, tags } ] | note classic | tags
    expect(bytes.toString('hex')).toBe(
      '00000007' + '04616263' + '02' + '0278' + '02' + '0001' + '0270' + '00' + '00016e' + '00',
    );
    expect(decodeMessage(Example, 3, new Reader(bytes))).toEqual(sample);
  });

  test('null is allowed only in nullable versions', () => {
    expect(decodeMessage(Example, 2, new Reader(encode(2, { ...sample, name: null, items: null })))).toEqual({
      ...sample,
      name: null,
      items: null,
      note: '',
    });
    expect(() => encode(1, { ...sample, name: null })).toThrow('Example.name: string cannot be null in version 1');
    const nullNameV1 = Buffer.from('00000007' + 'ffff' + '00000000' + '00000000', 'hex');
    expect(() => decodeMessage(Example, 1, new Reader(nullNameV1))).toThrow(
      'name: string is null in version 1, where it is not nullable',
    );
  });

  test('unknown tagged fields are skipped', () => {
    // v3 with tagged field 5 (3 bytes) at the end of the message.
    const bytes = Buffer.from('00000007' + '01' + '01' + '01' + '0000' + '01' + '05' + '03' + 'aabbcc', 'hex');
    expect(decodeMessage(Example, 3, new Reader(bytes))).toEqual({ id: 7, name: '', tags: [], items: [], note: '' });
  });

  test('truncated input is malformed and names the field', () => {
    const bytes = encode(0, sample);
    expect(() => decodeMessage(Example, 0, new Reader(bytes.subarray(0, 10)))).toThrow(MalformedDataError);
    expect(() => decodeMessage(Example, 0, new Reader(bytes.subarray(0, 10)))).toThrow(/^tags: /);
  });

  test('an array count larger than the bytes left is malformed, not a huge allocation', () => {
    const bytes = Buffer.from('00000007' + '7fffffff', 'hex');
    expect(() => decodeMessage(Example, 0, new Reader(bytes))).toThrow('claims 2147483647 elements but only 0 bytes remain');
  });

  test('versions outside the schema are refused', () => {
    expect(() => encode(4, sample)).toThrow('Example has no version 4 (valid: 0-3)');
  });
});
