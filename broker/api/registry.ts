/**
 * The one list of APIs this broker serves. The connection dispatches by looking requests up here,
 * and ApiVersions answers from it, so an API exists for clients exactly when it is listed below.
 *
 * How to add an API (e.g. Heartbeat, key 12):
 * 1. Describe its messages in broker/protocol/messages/<name>.ts with `message({...})`, following
 *    Kafka's JSON schema (fields, the versions they exist in, nullable versions; see
 *    broker/protocol/schema.ts). Cover at least the versions you will support.
 * 2. Create broker/api/<key, two digits>-<name>.ts (e.g. 12-heartbeat.ts) exporting
 *    `defineApi({ key, name, minVersion, maxVersion, request, response, handle })`. Start the file
 *    with a comment giving the versions, the behaviour and any deliberate deviation from Kafka.
 *    `handle` receives the decoded request and a RequestContext (api.ts) and returns the response
 *    body; fields with a default in the schema may be left out. Map failures to error codes in
 *    the body (errors.ts has errorCodeOf); throw only for "close the connection".
 * 3. Add it to BROKER_APIS below, in key order. If it needs a service the handlers do not have
 *    yet (e.g. the group coordinator), add it to BrokerServices in api.ts and construct it in
 *    broker/main.ts.
 *
 * Unknown keys and unsupported versions are the connection's business (broker/server/requests.ts).
 */
import { produceApi } from './00-produce';
import { fetchApi } from './01-fetch';
import { listOffsetsApi } from './02-list-offsets';
import { metadataApi } from './03-metadata';
import { offsetCommitApi } from './08-offset-commit';
import { offsetFetchApi } from './09-offset-fetch';
import { findCoordinatorApi } from './10-find-coordinator';
import { joinGroupApi } from './11-join-group';
import { heartbeatApi } from './12-heartbeat';
import { leaveGroupApi } from './13-leave-group';
import { syncGroupApi } from './14-sync-group';
import { describeGroupsApi } from './15-describe-groups';
import { listGroupsApi } from './16-list-groups';
import { saslHandshakeApi } from './17-sasl-handshake';
import { apiVersionsApi } from './18-api-versions';
import { createTopicsApi } from './19-create-topics';
import { deleteTopicsApi } from './20-delete-topics';
import { deleteRecordsApi } from './21-delete-records';
import { initProducerIdApi } from './22-init-producer-id';
import { describeConfigsApi } from './32-describe-configs';
import { alterConfigsApi } from './33-alter-configs';
import { saslAuthenticateApi } from './36-sasl-authenticate';
import { deleteGroupsApi } from './42-delete-groups';
import { incrementalAlterConfigsApi } from './44-incremental-alter-configs';
import type { ApiCatalog, ApiDefinition, ApiVersionRange } from './api';

export const BROKER_APIS: readonly ApiDefinition[] = [
  produceApi,
  fetchApi,
  listOffsetsApi,
  metadataApi,
  offsetCommitApi,
  offsetFetchApi,
  findCoordinatorApi,
  joinGroupApi,
  heartbeatApi,
  leaveGroupApi,
  syncGroupApi,
  describeGroupsApi,
  listGroupsApi,
  saslHandshakeApi,
  apiVersionsApi,
  createTopicsApi,
  deleteTopicsApi,
  deleteRecordsApi,
  initProducerIdApi,
  describeConfigsApi,
  alterConfigsApi,
  saslAuthenticateApi,
  deleteGroupsApi,
  incrementalAlterConfigsApi,
];

export class ApiRegistry implements ApiCatalog {
  private readonly byKey = new Map<number, ApiDefinition>();

  constructor(apis: readonly ApiDefinition[] = BROKER_APIS) {
    for (const api of apis) {
      const existing = this.byKey.get(api.key);
      if (existing) throw new Error(`API key ${api.key} is registered twice: ${existing.name} and ${api.name}`);
      this.byKey.set(api.key, api);
    }
  }

  /** The API for `key`, whatever the version; undefined for keys this broker does not serve. */
  find(key: number): ApiDefinition | undefined {
    return this.byKey.get(key);
  }

  versionRanges(): ApiVersionRange[] {
    return [...this.byKey.values()]
      .sort((a, b) => a.key - b.key)
      .map(({ key, minVersion, maxVersion }) => ({ apiKey: key, minVersion, maxVersion }));
  }
}
