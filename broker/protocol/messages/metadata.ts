/**
 * Metadata (key 3), versions 0-8 (9+ are flexible and not described).
 * v0: an empty topic list means all topics; v1+: null means all topics, empty means none.
 */
import { array, bool, int16, int32, message, string, structs, types } from '../schema';

/** Kafka's "authorized operations not requested" marker (Integer.MIN_VALUE). */
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

export const MetadataRequest = message({
  name: 'MetadataRequest',
  apiKey: 3,
  validVersions: '0-8',
  flexibleVersions: '9+',
  fields: {
    topics: structs('0+', { name: string('0+') }, { nullableVersions: '1+' }),
    allowAutoTopicCreation: bool('4+', { default: true }),
    includeClusterAuthorizedOperations: bool('8+', { default: false }),
    includeTopicAuthorizedOperations: bool('8+', { default: false }),
  },
});

export const MetadataResponse = message({
  name: 'MetadataResponse',
  apiKey: 3,
  validVersions: '0-8',
  flexibleVersions: '9+',
  fields: {
    throttleTimeMs: int32('3+', { default: 0 }),
    brokers: structs('0+', {
      nodeId: int32('0+'),
      host: string('0+'),
      port: int32('0+'),
      rack: string('1+', { nullableVersions: '1+', default: null }),
    }),
    clusterId: string('2+', { nullableVersions: '2+', default: null }),
    controllerId: int32('1+', { default: -1 }),
    topics: structs('0+', {
      errorCode: int16('0+'),
      name: string('0+'),
      isInternal: bool('1+', { default: false }),
      partitions: structs('0+', {
        errorCode: int16('0+'),
        partitionIndex: int32('0+'),
        leaderId: int32('0+'),
        leaderEpoch: int32('7+', { default: -1 }),
        replicaNodes: array('0+', types.int32),
        isrNodes: array('0+', types.int32),
        offlineReplicas: array('5+', types.int32, { default: [] }),
      }),
      topicAuthorizedOperations: int32('8+', { default: AUTHORIZED_OPERATIONS_OMITTED }),
    }),
    clusterAuthorizedOperations: int32('8+', { default: AUTHORIZED_OPERATIONS_OMITTED }),
  },
});
