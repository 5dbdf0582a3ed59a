/** DeleteTopics (key 20), versions 0-3 (4+ are flexible, 6+ use topic ids). */
import { array, int16, int32, message, string, structs, types } from '../schema';

export const DeleteTopicsRequest = message({
  name: 'DeleteTopicsRequest',
  apiKey: 20,
  validVersions: '0-3',
  flexibleVersions: '4+',
  fields: {
    topicNames: array('0+', types.string),
    timeoutMs: int32('0+'),
  },
});

export const DeleteTopicsResponse = message({
  name: 'DeleteTopicsResponse',
  apiKey: 20,
  validVersions: '0-3',
  flexibleVersions: '4+',
  fields: {
    throttleTimeMs: int32('1+', { default: 0 }),
    responses: structs('0+', {
      name: string('0+'),
      errorCode: int16('0+'),
    }),
  },
});
