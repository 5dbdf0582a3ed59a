/**
 * DescribeGroups (key 15), versions 0-4: state, protocol and members of each group. Member
 * metadata and assignments (and the protocol name) are given only for Stable groups; a group this
 * coordinator does not know is reported Dead with no error, as Kafka does.
 *
 * The broker has no ACLs: when asked (v3+), the authorized operations are all those a group has
 * (READ, DELETE, DESCRIBE).
 */
import { ApiKey } from '../protocol/api-keys';
import { ErrorCode } from '../protocol/error-codes';
import { DescribeGroupsRequest, DescribeGroupsResponse } from '../protocol/messages/describe-groups';
import { defineApi } from './api';
import { coordinatorOf } from './groups';

/** Kafka's AclOperation codes as bits: READ 3, DELETE 6, DESCRIBE 8. */
const GROUP_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8);
const OPERATIONS_NOT_REQUESTED = -2147483648;

export const describeGroupsApi = defineApi({
  key: ApiKey.DescribeGroups,
  name: 'DescribeGroups',
  minVersion: 0,
  maxVersion: 4,
  request: DescribeGroupsRequest,
  response: DescribeGroupsResponse,
  handle(request, context) {
    const coordinator = coordinatorOf(context);
    const authorizedOperations = request.includeAuthorizedOperations ? GROUP_OPERATIONS : OPERATIONS_NOT_REQUESTED;
    return {
      groups: request.groups.map((groupId) => {
        const group = coordinator?.describeGroup(groupId);
        if (!group) {
          return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, groupId, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations };
        }
        return {
          errorCode: group.errorCode,
          groupId,
          groupState: group.state,
          protocolType: group.protocolType,
          protocolData: group.protocolName,
          members: group.members.map((member) => ({
            memberId: member.memberId,
            groupInstanceId: member.groupInstanceId,
            clientId: member.clientId,
            clientHost: member.clientHost,
            memberMetadata: member.metadata,
            memberAssignment: member.assignment,
          })),
          authorizedOperations,
        };
      }),
    };
  },
});
