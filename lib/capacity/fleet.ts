/**
 * Fleet sizing across three zones.
 *
 * The Auto Scaling group balances brokers across its three zones, so a fleet of n brokers has
 * ceil(n / 3) in its fullest zone. When the cluster must keep its AKUs after losing a zone, only the
 * brokers outside the fullest zone count.
 */

/** A diskless-kafka fleet spans exactly three Availability Zones, one broker in each at least. */
export const FLEET_ZONES = 3;

/** Brokers in each zone, fullest first, as the Auto Scaling group balances them: 4 -> [2, 1, 1]. */
export function brokersPerZone(brokers: number): number[] {
  return Array.from({ length: FLEET_ZONES }, (_, zone) =>
    Math.floor(brokers / FLEET_ZONES) + (zone < brokers % FLEET_ZONES ? 1 : 0),
  );
}

/** AKUs n brokers guarantee: all of them, or those left after the fullest zone is lost. */
export function fleetAkus(brokers: number, brokerAkus: number, keepAkusAfterZoneLoss: boolean): number {
  const counted = keepAkusAfterZoneLoss ? brokers - Math.ceil(brokers / FLEET_ZONES) : brokers;
  return counted * brokerAkus;
}

/** The smallest fleet (at least one broker per zone) that guarantees `akus`. */
export function brokersFor(akus: number, brokerAkus: number, keepAkusAfterZoneLoss: boolean): number {
  assertBrokerAkus(brokerAkus);
  let brokers = FLEET_ZONES;
  while (fleetAkus(brokers, brokerAkus, keepAkusAfterZoneLoss) < akus) brokers++;
  return brokers;
}

/** The largest fleet whose guaranteed AKUs stay within `tierAkus` (0 when even one broker exceeds it). */
export function largestFleetWithin(tierAkus: number, brokerAkus: number, keepAkusAfterZoneLoss: boolean): number {
  assertBrokerAkus(brokerAkus);
  let brokers = 0;
  while (fleetAkus(brokers + 1, brokerAkus, keepAkusAfterZoneLoss) <= tierAkus) brokers++;
  return brokers;
}

function assertBrokerAkus(brokerAkus: number): void {
  if (!Number.isInteger(brokerAkus) || brokerAkus < 1) {
    throw new Error(`fleet sizing needs brokers that carry at least 1 AKU each, got ${brokerAkus}`);
  }
}
