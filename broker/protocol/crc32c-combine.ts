/**
 * CRC-32C arithmetic: the CRC of two byte strings put end to end, from the CRC of each and the
 * length of the second, without reading any byte again.
 *
 * Why: a produced batch is checksummed once, when it is validated (Kafka's own CRC-32C covers all
 * but its first 21 bytes). The WAL record that carries it and the object it is uploaded in need a
 * CRC-32C over the same bytes; combining the batches' CRCs costs microseconds, where reading a
 * MiB again costs a fifth of a millisecond of the event loop.
 *
 * The math: a CRC is the remainder of the message polynomial modulo the CRC polynomial P (with
 * the register's pre- and post-inversion, which cancel out in this identity):
 *   crc(A ‖ B) = crc(A) · x^(8·|B|) mod P  ⊕  crc(B)
 * Polynomials are 32-bit words in CRC-32C's reflected bit order (bit 31 is x^0). x^(8·n) mod P
 * is built from a table of x^(2^k) mod P, one multiplication per bit of n.
 */

/** CRC-32C's polynomial (Castagnoli), reflected. */
const POLYNOMIAL = 0x82f63b78;
/** x^0 in reflected order. */
const ONE = 0x80000000;

/** a(x) · b(x) mod P. */
function multiplyModP(a: number, b: number): number {
  let product = 0;
  for (let bit = ONE; bit !== 0 && a !== 0; bit >>>= 1) {
    if ((a & bit) !== 0) {
      product ^= b;
      a ^= bit;
    }
    b = (b & 1) !== 0 ? (b >>> 1) ^ POLYNOMIAL : b >>> 1;
  }
  return product >>> 0;
}

/** POWERS[k] = x^(2^k) mod P. */
const POWERS: number[] = [ONE >>> 1];
for (let k = 1; k < 64; k++) POWERS.push(multiplyModP(POWERS[k - 1], POWERS[k - 1]));

/** x^(8·bytes) mod P: the factor that shifts a CRC past `bytes` bytes. */
function shiftFactor(bytes: number): number {
  let factor = ONE;
  // 8·bytes = bytes · 2^3: walk the bits of `bytes`, starting at the power 2^3.
  for (let k = 3, rest = bytes; rest > 0; k++, rest = Math.floor(rest / 2)) {
    if (rest % 2 === 1) factor = multiplyModP(POWERS[k], factor);
  }
  return factor;
}

/** The CRC-32C of A ‖ B, given crc32c(A), crc32c(B) and the length of B in bytes. */
export function crc32cCombine(crcA: number, crcB: number, lengthB: number): number {
  if (!Number.isSafeInteger(lengthB) || lengthB < 0) throw new RangeError(`invalid length ${lengthB}`);
  return (multiplyModP(shiftFactor(lengthB), crcA) ^ crcB) >>> 0;
}
