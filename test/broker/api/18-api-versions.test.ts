import { ApiVersionsRequest, ApiVersionsResponse } from '../../../broker/protocol/messages/api-versions';
import { ApiRegistry } from '../../../broker/api/registry';
import { useBroker } from './harness';

describe('ApiVersions', () => {
  const t = useBroker();

  test.each([0, 1, 2, 3])('v%d lists every registered API with its range', async (version) => {
    const body = await t.client.request(ApiVersionsRequest, ApiVersionsResponse, version, {
      clientSoftwareName: 'test-client',
      clientSoftwareVersion: '1.0',
    });
    expect(body.errorCode).toBe(0);
    expect(body.apiKeys).toEqual(new ApiRegistry().versionRanges());
    expect(body.apiKeys).toEqual(
      expect.arrayContaining([
        { apiKey: 0, minVersion: 0, maxVersion: 8 },
        { apiKey: 1, minVersion: 4, maxVersion: 11 },
        { apiKey: 2, minVersion: 0, maxVersion: 5 },
        { apiKey: 3, minVersion: 0, maxVersion: 8 },
        { apiKey: 18, minVersion: 0, maxVersion: 3 },
        { apiKey: 19, minVersion: 0, maxVersion: 4 },
        { apiKey: 20, minVersion: 0, maxVersion: 3 },
        { apiKey: 21, minVersion: 0, maxVersion: 1 },
        { apiKey: 22, minVersion: 0, maxVersion: 1 },
        { apiKey: 32, minVersion: 0, maxVersion: 2 },
      ]),
    );
  });

  test('v3 refuses a client software name outside Kafka\'s pattern', async () => {
    const body = await t.client.request(ApiVersionsRequest, ApiVersionsResponse, 3, {
      clientSoftwareName: 'bad name!',
      clientSoftwareVersion: '1.0',
    });
    expect(body.errorCode).toBe(42);
  });
});
