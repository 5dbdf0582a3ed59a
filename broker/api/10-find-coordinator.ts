/**
 * FindCoordinator (key 10), versions 0-2 (the range must include 0: librdkafka uses groups only
 * then). The coordinator of a group is the broker that owns the group's partition of
 * __consumer_offsets (ClusterView.coordinatorOfGroup): a single broker answers itself; in a
 * cluster the answer follows the partition. While the partition has no owner (moving), the answer
 * is COORDINATOR_NOT_AVAILABLE and clients retry.
 *
 * Deviation: there is no transaction coordinator; key type 1 (transaction) is INVALID_REQUEST
 * with a message saying so.
 */
import { ApiKey } from '../protocol/api-keys';
import { ErrorCode } from '../protocol/error-codes';
import { FindCoordinatorRequest, FindCoordinatorResponse } from '../protocol/messages/find-coordinator';
import { defineApi } from './api';
import { coordinatorOf } from './groups';

const GROUP_KEY_TYPE = 0;
const TRANSACTION_KEY_TYPE = 1;

const noCoordinator = (errorCode: ErrorCode, errorMessage: string | null = null) => ({
  errorCode,
  errorMessage,
  nodeId: -1,
  host: '',
  port: -1,
});

export const findCoordinatorApi = defineApi({
  key: ApiKey.FindCoordinator,
  name: 'FindCoordinator',
  minVersion: 0,
  maxVersion: 2,
  request: FindCoordinatorRequest,
  response: FindCoordinatorResponse,
  handle(request, context) {
    if (request.keyType === TRANSACTION_KEY_TYPE) {
      return noCoordinator(ErrorCode.INVALID_REQUEST, 'this broker has no transaction coordinator: transactions are not supported');
    }
    if (request.keyType !== GROUP_KEY_TYPE) {
      return noCoordinator(ErrorCode.INVALID_REQUEST, `key type ${request.keyType}: only 0 (group) is supported`);
    }
    if (!coordinatorOf(context)) return noCoordinator(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    const { cluster } = context.services;
    const nodeId = cluster.coordinatorOfGroup(request.key);
    const broker = cluster.brokers().find((candidate) => candidate.nodeId === nodeId);
    if (!broker) return noCoordinator(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    return { errorCode: ErrorCode.NONE, errorMessage: null, nodeId: broker.nodeId, host: broker.host, port: broker.port };
  },
});
