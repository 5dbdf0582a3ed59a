/**
 * LeaveGroup (key 13), versions 0-3. The member is removed at once and the others rebalance
 * without waiting for its session to expire. v0-2 name one member; v3 a list (a member may be
 * named by group.instance.id alone), each with its own error. In v0-2 the single error code is
 * the group's error, else the member's, as Kafka's LeaveGroupResponse does for old versions.
 */
import { ApiKey } from '../protocol/api-keys';
import { ErrorCode } from '../protocol/error-codes';
import { LeaveGroupRequest, LeaveGroupResponse } from '../protocol/messages/leave-group';
import { defineApi } from './api';
import { coordinatorOf } from './groups';

const BATCH_VERSION = 3;

export const leaveGroupApi = defineApi({
  key: ApiKey.LeaveGroup,
  name: 'LeaveGroup',
  minVersion: 0,
  maxVersion: 3,
  request: LeaveGroupRequest,
  response: LeaveGroupResponse,
  handle(request, context) {
    const coordinator = coordinatorOf(context);
    if (!coordinator) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };
    const batch = context.apiVersion >= BATCH_VERSION;
    const leaving = batch ? request.members : [{ memberId: request.memberId, groupInstanceId: null }];
    const result = coordinator.leaveGroup(request.groupId, leaving);
    context.log.debug({ groupId: request.groupId, members: result.members }, 'left');
    if (batch) return { errorCode: result.errorCode, members: [...result.members] };
    const memberError = result.members.find((member) => member.errorCode !== ErrorCode.NONE)?.errorCode;
    return { errorCode: result.errorCode !== ErrorCode.NONE ? result.errorCode : (memberError ?? ErrorCode.NONE), members: [] };
  },
});
