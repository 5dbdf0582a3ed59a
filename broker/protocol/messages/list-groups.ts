/** ListGroups (key 16), versions 0-2 (3+ are flexible, 4+ filter by state). */
import { int16, int32, message, string, structs } from '../schema';

export const ListGroupsRequest = message({
  name: 'ListGroupsRequest',
  apiKey: 16,
  validVersions: '0-2',
  flexibleVersions: '3+',
  fields: {},
});

export const ListGroupsResponse = message({
  name: 'ListGroupsResponse',
  apiKey: 16,
  validVersions: '0-2',
  flexibleVersions: '3+',
  fields: {
    throttleTimeMs: int32('1+', { default: 0 }),
    errorCode: int16('0+'),
    groups: structs('0+', {
      groupId: string('0+'),
      protocolType: string('0+'),
    }),
  },
});
