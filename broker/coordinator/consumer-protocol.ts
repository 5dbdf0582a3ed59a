/**
 * The one part of the consumer's embedded protocol the broker reads: the topics in a member's
 * subscription (ConsumerProtocolSubscription, Kafka's
 * clients/src/main/resources/common/message/ConsumerProtocolSubscription.json). Offset retention
 * needs them: a Stable consumer group keeps the offsets of the topics it subscribes to.
 *
 * The metadata starts with an int16 version; later versions only append fields, so a newer
 * subscription is read as the latest version known here, as Kafka's consumer does.
 */
import { MalformedDataError, Reader } from '../protocol/primitives';
import { array, decodeMessage, int32, message, string, structs, bytes, types } from '../protocol/schema';

export const ConsumerProtocolSubscription = message({
  name: 'ConsumerProtocolSubscription',
  apiKey: -1,
  validVersions: '0-3',
  flexibleVersions: 'none',
  fields: {
    topics: array('0+', types.string),
    userData: bytes('0+', { nullableVersions: '0+' }),
    ownedPartitions: structs('1+', {
      topic: string('1+'),
      partitions: array('1+', types.int32),
    }),
    generationId: int32('2+', { default: -1 }),
    rackId: string('3+', { nullableVersions: '3+' }),
  },
});

const LATEST_SUBSCRIPTION_VERSION = ConsumerProtocolSubscription.validVersions.max;

/** The subscribed topics, or undefined when the metadata is not a readable subscription. */
export function subscribedTopics(metadata: Buffer): string[] | undefined {
  try {
    const reader = new Reader(metadata);
    const version = reader.int16();
    if (version < 0) return undefined;
    return decodeMessage(ConsumerProtocolSubscription, Math.min(version, LATEST_SUBSCRIPTION_VERSION), reader).topics;
  } catch (error) {
    if (error instanceof MalformedDataError || error instanceof RangeError) return undefined;
    throw error;
  }
}
