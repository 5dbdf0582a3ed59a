import { randomBytes } from 'node:crypto';
import { crc32c } from '@node-rs/crc32';
import { crc32cCombine } from '../../../broker/protocol/crc32c-combine';

test('combining the CRCs of two pieces gives the CRC of the whole, for any cut', () => {
  for (let i = 0; i < 500; i++) {
    const whole = randomBytes(1 + Math.floor(Math.random() * 4000));
    const cut = Math.floor(Math.random() * (whole.length + 1));
    const [a, b] = [whole.subarray(0, cut), whole.subarray(cut)];
    expect(crc32cCombine(crc32c(a), crc32c(b), b.length)).toBe(crc32c(whole));
  }
});

test('pieces of megabytes, empty pieces, and a chain of many pieces', () => {
  const whole = randomBytes(5 * 1024 * 1024 + 17);
  const cut = 3 * 1024 * 1024 + 5;
  expect(crc32cCombine(crc32c(whole.subarray(0, cut)), crc32c(whole.subarray(cut)), whole.length - cut)).toBe(crc32c(whole));
  expect(crc32cCombine(crc32c(whole), crc32c(Buffer.alloc(0)), 0)).toBe(crc32c(whole));
  expect(crc32cCombine(0, crc32c(whole), whole.length)).toBe(crc32c(whole));
  let chained = 0;
  for (let at = 0; at < whole.length; at += 65_537) {
    const piece = whole.subarray(at, at + 65_537);
    chained = crc32cCombine(chained, crc32c(piece), piece.length);
  }
  expect(chained).toBe(crc32c(whole));
});

test('a length that is not a byte count is refused', () => {
  expect(() => crc32cCombine(1, 2, -1)).toThrow(RangeError);
  expect(() => crc32cCombine(1, 2, 1.5)).toThrow(RangeError);
});
