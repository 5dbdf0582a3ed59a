/** DeleteGroups (key 42), versions 0-1 (2+ are flexible). */
import { array, int16, int32, message, string, structs, types } from '../schema';

export const DeleteGroupsRequest = message({
  name: 'DeleteGroupsRequest',
  apiKey: 42,
  validVersions: '0-1',
  flexibleVersions: '2+',
  fields: {
    groupsNames: array('0+', types.string),
  },
});

export const DeleteGroupsResponse = message({
  name: 'DeleteGroupsResponse',
  apiKey: 42,
  validVersions: '0-1',
  flexibleVersions: '2+',
  fields: {
    throttleTimeMs: int32('0+'),
    results: structs('0+', {
      groupId: string('0+'),
      errorCode: int16('0+'),
    }),
  },
});
