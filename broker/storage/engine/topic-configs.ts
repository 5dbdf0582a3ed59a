/**
 * Topic configs the broker understands, their defaults, and their validation.
 *
 * Enforced: retention.ms and retention.bytes (retention deletes whole objects), max.message.bytes
 * (largest batch), message.timestamp.type (CreateTime or LogAppendTime), cleanup.policy (delete
 * only: compaction is not supported). Accepted and stored but without effect here, because this
 * broker has no local segments or replicas: segment.bytes, segment.ms, min.insync.replicas.
 * Anything else is INVALID_CONFIG, as Kafka does for unknown topic configs.
 */
import { ErrorCode, KafkaError } from '../../protocol/error-codes';
import type { ConfigEntry } from '../storage';

export interface BrokerConfigDefaults {
  /** The broker's message.max.bytes, the default of the topic's max.message.bytes. */
  readonly messageMaxBytes: number;
  /** @default 604800000 (7 days) */
  readonly retentionMs?: number;
  /** @default -1 (unlimited) */
  readonly retentionBytes?: number;
}

interface ConfigDefinition {
  readonly defaultValue: (defaults: BrokerConfigDefaults) => string;
  /** Undefined when valid, else what is allowed. */
  readonly check: (value: string) => string | undefined;
}

const INT32_MAX = 2 ** 31 - 1;

const longAtLeast = (min: number) => (value: string) =>
  /^-?\d+$/.test(value) && Number(value) >= min && Number.isSafeInteger(Number(value)) ? undefined : `an integer >= ${min}`;
const intAtLeast = (min: number) => (value: string) =>
  /^-?\d+$/.test(value) && Number(value) >= min && Number(value) <= INT32_MAX ? undefined : `an integer from ${min} to ${INT32_MAX}`;
const oneOf = (...allowed: string[]) => (value: string) => (allowed.includes(value) ? undefined : `one of ${allowed.join(', ')}`);

const DEFINITIONS: Readonly<Record<string, ConfigDefinition>> = {
  'retention.ms': { defaultValue: (d) => String(d.retentionMs ?? 604_800_000), check: longAtLeast(-1) },
  'retention.bytes': { defaultValue: (d) => String(d.retentionBytes ?? -1), check: longAtLeast(-1) },
  'max.message.bytes': { defaultValue: (d) => String(d.messageMaxBytes), check: intAtLeast(0) },
  'message.timestamp.type': { defaultValue: () => 'CreateTime', check: oneOf('CreateTime', 'LogAppendTime') },
  'cleanup.policy': {
    defaultValue: () => 'delete',
    check: (value) => (value === 'delete' ? undefined : "'delete' (log compaction is not supported)"),
  },
  'segment.bytes': { defaultValue: () => '1073741824', check: intAtLeast(14) },
  'segment.ms': { defaultValue: () => '604800000', check: longAtLeast(1) },
  'min.insync.replicas': { defaultValue: () => '1', check: intAtLeast(1) },
};

/** Throws INVALID_CONFIG naming the config, the value given and what is allowed. */
export function validateTopicConfigs(configs: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(configs)) {
    const definition = DEFINITIONS[name];
    if (definition === undefined) {
      throw new KafkaError(
        ErrorCode.INVALID_CONFIG,
        `unknown topic config ${name}; supported: ${Object.keys(DEFINITIONS).join(', ')}`,
      );
    }
    const allowed = definition.check(String(value));
    if (allowed !== undefined) {
      throw new KafkaError(ErrorCode.INVALID_CONFIG, `invalid value ${JSON.stringify(value)} for ${name}: expected ${allowed}`);
    }
  }
}

/** Every config of a topic, defaults included, in name order. */
export function effectiveTopicConfigs(
  configs: Readonly<Record<string, string>>,
  defaults: BrokerConfigDefaults,
): ConfigEntry[] {
  return Object.keys(DEFINITIONS)
    .sort()
    .map((name) => {
      const set = configs[name];
      return {
        name,
        value: set ?? DEFINITIONS[name].defaultValue(defaults),
        isDefault: set === undefined,
        readOnly: false,
        sensitive: false,
      };
    });
}

/** The topic settings the data path uses, parsed once per topic. */
export interface TopicSettings {
  readonly retentionMs: number;
  readonly retentionBytes: number;
  readonly maxMessageBytes: number;
  readonly logAppendTime: boolean;
}

export function topicSettings(configs: Readonly<Record<string, string>>, defaults: BrokerConfigDefaults): TopicSettings {
  const value = (name: string) => configs[name] ?? DEFINITIONS[name].defaultValue(defaults);
  return {
    retentionMs: Number(value('retention.ms')),
    retentionBytes: Number(value('retention.bytes')),
    maxMessageBytes: Number(value('max.message.bytes')),
    logAppendTime: value('message.timestamp.type') === 'LogAppendTime',
  };
}

const LEGAL_TOPIC_NAME = /^[a-zA-Z0-9._-]+$/;
const MAX_TOPIC_NAME_LENGTH = 249;

/** Kafka's topic name rules; throws INVALID_TOPIC_EXCEPTION. */
export function validateTopicName(name: string): void {
  if (name.length === 0 || name === '.' || name === '..' || name.length > MAX_TOPIC_NAME_LENGTH || !LEGAL_TOPIC_NAME.test(name)) {
    throw new KafkaError(
      ErrorCode.INVALID_TOPIC_EXCEPTION,
      `invalid topic name ${JSON.stringify(name)}: 1 to ${MAX_TOPIC_NAME_LENGTH} characters of [a-zA-Z0-9._-], not '.' or '..'`,
    );
  }
}
