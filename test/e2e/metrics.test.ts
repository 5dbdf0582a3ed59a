/**
 * The metrics endpoint (--metrics-port) of a real broker process, scraped over HTTP as Prometheus
 * does: the counters move with real traffic from kcat, and the WAL gauges say what the WAL holds.
 */
import { request } from 'node:http';
import { BrokerProcess } from '../support/broker-process';
import { kcat, kcatConsume } from './clients';

interface Scrape {
  readonly status: number;
  readonly contentType: string | undefined;
  readonly body: string;
}

function scrape(port: number, options: { path?: string; method?: string } = {}): Promise<Scrape> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: options.path ?? '/metrics', method: options.method ?? 'GET' }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, contentType: response.headers['content-type'], body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** `name{labels}` -> value, from an exposition document. */
function samples(body: string): Map<string, number> {
  return new Map(
    body
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('#'))
      .map((line) => {
        const space = line.lastIndexOf(' ');
        return [line.slice(0, space), Number(line.slice(space + 1))];
      }),
  );
}

describe('metrics endpoint', () => {
  let broker: BrokerProcess;
  let metricsPort: number;

  beforeAll(async () => {
    broker = await BrokerProcess.start({ args: ['--metrics-port', '0', '--upload-age-ms', '100'] });
    const started = broker.logs.find((line) => line.msg === 'broker started') as { config: { metricsPort: number } } | undefined;
    metricsPort = started!.config.metricsPort;
  });
  afterAll(async () => {
    await broker?.stop();
    broker?.removeDataDir();
  });

  test('the counters follow real traffic; the WAL gauges describe the WAL', async () => {
    const before = samples((await scrape(metricsPort)).body);
    expect(before.get('diskless_kafka_wal_capacity_bytes')).toBe(64 * 1024 * 1024);
    expect(before.get('diskless_kafka_ingested_bytes_total')).toBe(0);

    await kcat(broker.bootstrap, ['-P', '-t', 'metered', '-K', ':'], { input: 'k1:hello\nk2:world\n' });
    expect((await kcatConsume(broker.bootstrap, 'metered')).map((m) => m.payload)).toEqual(['hello', 'world']);
    // Uploads are cut after 100 ms: poll until the records are in an object.
    let after = samples((await scrape(metricsPort)).body);
    for (const deadline = Date.now() + 10_000; after.get('diskless_kafka_objects_uploaded_total') === 0 && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      after = samples((await scrape(metricsPort)).body);
    }
    expect(after.get('diskless_kafka_requests_total{api="Produce"}')).toBeGreaterThanOrEqual(1);
    expect(after.get('diskless_kafka_requests_total{api="Fetch"}')).toBeGreaterThanOrEqual(1);
    expect(after.get('diskless_kafka_requests_total{api="Metadata"}')).toBeGreaterThanOrEqual(2);
    expect(after.get('diskless_kafka_objects_uploaded_total')).toBeGreaterThanOrEqual(1);
    expect(after.get('diskless_kafka_ingested_bytes_total')).toBeGreaterThan(0);
    expect(after.get('diskless_kafka_wal_flushes_total')).toBeGreaterThanOrEqual(1);
    expect(after.get('diskless_kafka_received_bytes_total')).toBeGreaterThan(before.get('diskless_kafka_received_bytes_total')!);
    expect(after.get('diskless_kafka_append_seconds{quantile="0.99"}')).toBeGreaterThan(0);
    expect(after.get('process_resident_memory_bytes')).toBeGreaterThan(10 * 1024 * 1024);
  });

  test('Prometheus text format at /metrics; other paths 404, other methods 405', async () => {
    const { status, contentType, body } = await scrape(metricsPort);
    expect(status).toBe(200);
    expect(contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(body).toContain('# TYPE diskless_kafka_requests_total counter\n');
    expect(body).toContain('# TYPE diskless_kafka_wal_used_bytes gauge\n');
    expect((await scrape(metricsPort, { path: '/' })).status).toBe(404);
    expect((await scrape(metricsPort, { method: 'POST' })).status).toBe(405);
  });
});
