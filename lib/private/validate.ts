/**
 * Small synth-time checks shared by the constructs. Each one lets undefined values and
 * unresolved tokens through (they are checked where they resolve: at deploy) and otherwise throws
 * a message naming the value given and what is allowed.
 */
import { Token } from 'aws-cdk-lib';

/** `value` must be an integer in [min, max] (max optional). */
export function validateInteger(what: string, value: number | undefined, min: number, max?: number): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  const inRange = Number.isInteger(value) && value >= min && (max === undefined || value <= max);
  if (!inRange) {
    const allowed = max === undefined ? `an integer of at least ${min}` : `an integer from ${min} to ${max}`;
    throw new Error(`${what} must be ${allowed}; got ${value}`);
  }
}

/** `value` must match `pattern`, described to the user as `allowed`. */
export function validatePattern(what: string, value: string | undefined, pattern: RegExp, allowed: string): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (!pattern.test(value)) {
    throw new Error(`${what} must be ${allowed}; got '${value}'`);
  }
}

/** Formats a list of values for an error message: `a, b, c`. */
export function listOf(values: readonly (string | number)[]): string {
  return values.join(', ');
}
