/**
 * SyncGroup (key 14), versions 0-3. The leader sends the assignment of every member; the
 * coordinator stores it durably in __consumer_offsets, then answers every member with its own
 * part. Followers' requests are held until then.
 */
import { ApiKey } from '../protocol/api-keys';
import { ErrorCode } from '../protocol/error-codes';
import { SyncGroupRequest, SyncGroupResponse } from '../protocol/messages/sync-group';
import { defineApi } from './api';
import { coordinatorOf } from './groups';

export const syncGroupApi = defineApi({
  key: ApiKey.SyncGroup,
  name: 'SyncGroup',
  minVersion: 0,
  maxVersion: 3,
  request: SyncGroupRequest,
  response: SyncGroupResponse,
  async handle(request, context) {
    const coordinator = coordinatorOf(context);
    if (!coordinator) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, assignment: Buffer.alloc(0) };
    const result = await coordinator.syncGroup({
      groupId: request.groupId,
      generationId: request.generationId,
      memberId: request.memberId,
      groupInstanceId: request.groupInstanceId,
      protocolType: null,
      protocolName: null,
      assignments: new Map(request.assignments.map(({ memberId, assignment }) => [memberId, assignment])),
    });
    context.log.debug({ groupId: request.groupId, memberId: request.memberId, errorCode: result.errorCode }, 'synced');
    return { errorCode: result.errorCode, assignment: result.assignment };
  },
});
