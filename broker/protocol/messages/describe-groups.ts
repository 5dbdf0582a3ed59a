/** DescribeGroups (key 15), versions 0-4 (5+ are flexible). */
import { array, bool, bytes, int16, int32, message, string, structs, types } from '../schema';

export const DescribeGroupsRequest = message({
  name: 'DescribeGroupsRequest',
  apiKey: 15,
  validVersions: '0-4',
  flexibleVersions: '5+',
  fields: {
    groups: array('0+', types.string),
    includeAuthorizedOperations: bool('3+', { default: false }),
  },
});

export const DescribeGroupsResponse = message({
  name: 'DescribeGroupsResponse',
  apiKey: 15,
  validVersions: '0-4',
  flexibleVersions: '5+',
  fields: {
    throttleTimeMs: int32('1+', { default: 0 }),
    groups: structs('0+', {
      errorCode: int16('0+'),
      groupId: string('0+'),
      groupState: string('0+'),
      protocolType: string('0+'),
      /** The protocol name, filled in only for Stable groups. */
      protocolData: string('0+'),
      members: structs('0+', {
        memberId: string('0+'),
        groupInstanceId: string('4+', { nullableVersions: '4+', default: null }),
        clientId: string('0+'),
        clientHost: string('0+'),
        memberMetadata: bytes('0+'),
        memberAssignment: bytes('0+'),
      }),
      authorizedOperations: int32('3+', { default: -2147483648 }),
    }),
  },
});
