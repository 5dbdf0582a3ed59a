/**
 * ListGroups (key 16), versions 0-2: the groups this broker coordinates (those of the
 * __consumer_offsets partitions it owns), with COORDINATOR_LOAD_IN_PROGRESS while some of them are
 * still loading, as Kafka does.
 */
import { ApiKey } from '../protocol/api-keys';
import { ErrorCode } from '../protocol/error-codes';
import { ListGroupsRequest, ListGroupsResponse } from '../protocol/messages/list-groups';
import { defineApi } from './api';
import { coordinatorOf } from './groups';

export const listGroupsApi = defineApi({
  key: ApiKey.ListGroups,
  name: 'ListGroups',
  minVersion: 0,
  maxVersion: 2,
  request: ListGroupsRequest,
  response: ListGroupsResponse,
  handle(_request, context) {
    const coordinator = coordinatorOf(context);
    if (!coordinator) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, groups: [] };
    const { errorCode, groups } = coordinator.listGroups();
    return { errorCode, groups: [...groups] };
  },
});
