/**
 * Heartbeat (key 12), versions 0-3. Resets the member's session timer; REBALANCE_IN_PROGRESS
 * tells it to rejoin.
 */
import { ApiKey } from '../protocol/api-keys';
import { ErrorCode } from '../protocol/error-codes';
import { HeartbeatRequest, HeartbeatResponse } from '../protocol/messages/heartbeat';
import { defineApi } from './api';
import { coordinatorOf } from './groups';

export const heartbeatApi = defineApi({
  key: ApiKey.Heartbeat,
  name: 'Heartbeat',
  minVersion: 0,
  maxVersion: 3,
  request: HeartbeatRequest,
  response: HeartbeatResponse,
  handle(request, context) {
    const coordinator = coordinatorOf(context);
    if (!coordinator) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
    return { errorCode: coordinator.heartbeat(request) };
  },
});
