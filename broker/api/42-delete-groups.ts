/**
 * DeleteGroups (key 42), versions 0-1: deletes Empty groups and their committed offsets
 * (NON_EMPTY_GROUP while members remain, GROUP_ID_NOT_FOUND for unknown groups).
 *
 * Deviation: the answer waits until the tombstones are durable in __consumer_offsets, and
 * reports the append's error if they could not be written (Kafka answers before, and only logs a
 * failure), so that "deleted" always means "stays deleted after a restart".
 */
import { ApiKey } from '../protocol/api-keys';
import { ErrorCode } from '../protocol/error-codes';
import { DeleteGroupsRequest, DeleteGroupsResponse } from '../protocol/messages/delete-groups';
import { defineApi } from './api';
import { coordinatorOf } from './groups';

export const deleteGroupsApi = defineApi({
  key: ApiKey.DeleteGroups,
  name: 'DeleteGroups',
  minVersion: 0,
  maxVersion: 1,
  request: DeleteGroupsRequest,
  response: DeleteGroupsResponse,
  async handle(request, context) {
    const coordinator = coordinatorOf(context);
    const results = coordinator
      ? await coordinator.deleteGroups(request.groupsNames)
      : request.groupsNames.map((groupId) => ({ groupId, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE }));
    return { throttleTimeMs: 0, results };
  },
});
