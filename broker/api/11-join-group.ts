/**
 * JoinGroup (key 11), versions 0-5. The coordinator holds the request until the group's join
 * phase ends (initial delay, or every member rejoined, or the rebalance timeout).
 *
 * v0 has no rebalance timeout: the session timeout is used, as Kafka does. From v4 a member
 * without an id first gets one with MEMBER_ID_REQUIRED. group.instance.id (v5) is kept and shown
 * by DescribeGroups, but static membership is not implemented: such members behave as dynamic
 * ones (see broker/coordinator/coordinator.ts).
 */
import { ApiKey } from '../protocol/api-keys';
import { ErrorCode } from '../protocol/error-codes';
import { JoinGroupRequest, JoinGroupResponse } from '../protocol/messages/join-group';
import { defineApi } from './api';
import { coordinatorOf } from './groups';

/** The first version in which an unknown member must come back with the id it is given. */
const MEMBER_ID_REQUIRED_VERSION = 4;

export const joinGroupApi = defineApi({
  key: ApiKey.JoinGroup,
  name: 'JoinGroup',
  minVersion: 0,
  maxVersion: 5,
  request: JoinGroupRequest,
  response: JoinGroupResponse,
  async handle(request, context) {
    const coordinator = coordinatorOf(context);
    if (!coordinator) {
      return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, protocolName: '', leader: '', memberId: request.memberId, members: [] };
    }
    const result = await coordinator.joinGroup({
      groupId: request.groupId,
      memberId: request.memberId,
      groupInstanceId: request.groupInstanceId,
      clientId: context.clientId ?? '',
      clientHost: context.clientHost,
      sessionTimeoutMs: request.sessionTimeoutMs,
      rebalanceTimeoutMs: context.apiVersion === 0 ? request.sessionTimeoutMs : request.rebalanceTimeoutMs,
      protocolType: request.protocolType,
      protocols: request.protocols,
      requireKnownMemberId: context.apiVersion >= MEMBER_ID_REQUIRED_VERSION,
    });
    context.log.debug({ groupId: request.groupId, memberId: result.memberId, generation: result.generationId, errorCode: result.errorCode }, 'joined');
    return {
      errorCode: result.errorCode,
      generationId: result.generationId,
      protocolName: result.protocolName ?? '',
      leader: result.leaderId,
      memberId: result.memberId,
      members: [...result.members],
    };
  },
});
