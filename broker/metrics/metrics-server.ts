/**
 * The broker's metrics over HTTP for Prometheus (`--metrics-port`): `GET /metrics`. Every value is
 * read when scraped, from counters the broker keeps anyway (storage statistics, the server's
 * connections and requests, the process), so serving metrics costs the data path nothing.
 *
 * What to watch: `diskless_kafka_wal_used_bytes` against `diskless_kafka_wal_capacity_bytes` is
 * the upload lag (a full WAL means producers wait: backpressure); the flush and append quantiles
 * are the WAL's latency; objects per ingested byte is the S3 request cost.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { Logger } from '../log';
import type { StorageStatistics } from '../storage';
import { EXPOSITION_CONTENT_TYPE, type MetricFamily, renderExposition } from './exposition';

/** What the metrics are read from. */
export interface MetricSources {
  storage(): StorageStatistics;
  readonly server: {
    readonly connectionCount: number;
    readonly readStatistics: { readonly bytesReceived: number };
    readonly requestsByApi: ReadonlyMap<string, number>;
  };
}

const PREFIX = 'diskless_kafka_';

interface Quantiles {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/** The quantiles in another unit (ms or ns to seconds). */
function scaled(quantiles: Quantiles, factor: number): Quantiles {
  return { p50: quantiles.p50 * factor, p99: quantiles.p99 * factor, max: quantiles.max * factor };
}

/** The broker's metric families, read now. */
export function brokerMetricFamilies(sources: MetricSources, eventLoopDelay: IntervalHistogram): MetricFamily[] {
  const storage = sources.storage();
  const { server } = sources;
  const gauge = (name: string, help: string, value: number): MetricFamily => ({ name: PREFIX + name, help, type: 'gauge', samples: [{ value }] });
  const counter = (name: string, help: string, value: number): MetricFamily => ({ name: PREFIX + name, help, type: 'counter', samples: [{ value }] });
  const quantiles = (name: string, help: string, seconds: Quantiles): MetricFamily => ({
    name: PREFIX + name,
    help,
    type: 'gauge',
    samples: [
      { labels: { quantile: '0.5' }, value: seconds.p50 },
      { labels: { quantile: '0.99' }, value: seconds.p99 },
      { labels: { quantile: '1' }, value: seconds.max },
    ],
  });
  return [
    gauge('epoch', "This broker's incarnation (its WAL directory's epoch)", storage.epoch),
    gauge('wal_used_bytes', 'WAL bytes not yet trimmed: acknowledged data not yet in a committed object', storage.walUsedBytes),
    gauge('wal_capacity_bytes', 'WAL capacity; producers wait when it is full', storage.walCapacityBytes),
    counter('wal_flushes_total', 'WAL group commits (one write and one sync each)', storage.walFlushes),
    quantiles('wal_flush_seconds', 'WAL write + sync latency over the latest flushes', scaled(storage.walFlushMs, 1e-3)),
    quantiles('append_seconds', 'Produce append to durable latency over the latest appends', scaled(storage.appendMs, 1e-3)),
    gauge('upload_queued_bytes', 'Produced data not yet cut into an object', storage.uploadQueuedBytes),
    counter('ingested_bytes_total', 'Produced data written into objects', storage.ingestedBytes),
    counter('objects_uploaded_total', 'Data objects written to the object store', storage.objects),
    counter('object_bytes_total', 'Bytes of the data objects written', storage.objectBytes),
    counter('metadata_commits_total', 'Metadata log entries that committed uploaded objects', storage.commits),
    gauge('log_cache_bytes', 'Bytes held in the log cache of recent produce requests', storage.logCacheBytes),
    counter('block_cache_hits_total', 'Object reads served from the block cache', storage.blockCache.hits),
    counter('block_cache_misses_total', 'Object reads that went to the object store', storage.blockCache.misses),
    gauge('connections', 'Open client connections', server.connectionCount),
    counter('received_bytes_total', 'Bytes received from clients', server.readStatistics.bytesReceived),
    {
      name: `${PREFIX}requests_total`,
      help: 'Requests dispatched, by API',
      type: 'counter',
      samples: [...server.requestsByApi].sort(([a], [b]) => a.localeCompare(b)).map(([api, value]) => ({ labels: { api }, value })),
    },
    quantiles('event_loop_delay_seconds', 'Event loop delay since the last scrape', scaled(
      { p50: eventLoopDelay.percentile(50), p99: eventLoopDelay.percentile(99), max: eventLoopDelay.max },
      1e-9,
    )),
    { name: 'process_resident_memory_bytes', help: 'Resident memory size in bytes', type: 'gauge', samples: [{ value: process.memoryUsage.rss() }] },
  ];
}

export class MetricsServer {
  private readonly server: Server;
  private readonly eventLoopDelay = monitorEventLoopDelay({ resolution: 10 });

  constructor(sources: MetricSources, log: Logger) {
    this.eventLoopDelay.enable();
    this.server = createServer((request, response) => {
      if (request.url !== '/metrics') {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: metrics are at /metrics\n');
        return;
      }
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        response.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      try {
        const body = renderExposition(brokerMetricFamilies(sources, this.eventLoopDelay));
        this.eventLoopDelay.reset();
        response.writeHead(200, { 'content-type': EXPOSITION_CONTENT_TYPE }).end(request.method === 'HEAD' ? undefined : body);
      } catch (error) {
        log.error({ err: error }, 'metrics: rendering failed');
        response.writeHead(500).end();
      }
    });
    this.server.on('error', (error) => log.error({ err: error }, 'metrics server error'));
  }

  /** Binds the port (0 picks a free one) and returns the address actually bound. */
  listen(host: string, port: number): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host, port }, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  close(): Promise<void> {
    this.eventLoopDelay.disable();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
