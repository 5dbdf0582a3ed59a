import { renderExposition } from '../../../broker/metrics/exposition';

describe('Prometheus text exposition', () => {
  test('HELP and TYPE per family, then one line per sample with its labels', () => {
    expect(renderExposition([
      { name: 'dk_requests_total', help: 'Requests, by API', type: 'counter', samples: [{ labels: { api: 'Fetch' }, value: 3 }, { labels: { api: 'Produce' }, value: 12 }] },
      { name: 'dk_wal_used_bytes', help: 'Used', type: 'gauge', samples: [{ value: 1048576 }] },
    ])).toBe([
      '# HELP dk_requests_total Requests, by API',
      '# TYPE dk_requests_total counter',
      'dk_requests_total{api="Fetch"} 3',
      'dk_requests_total{api="Produce"} 12',
      '# HELP dk_wal_used_bytes Used',
      '# TYPE dk_wal_used_bytes gauge',
      'dk_wal_used_bytes 1048576',
      '',
    ].join('\n'));
  });

  test('escapes label values and help text; writes NaN and infinities as Prometheus spells them', () => {
    const text = renderExposition([
      { name: 'g', help: 'a\\b\nc', type: 'gauge', samples: [{ labels: { v: 'say "hi"\\\n' }, value: NaN }, { value: Infinity }, { value: -Infinity }, { value: 0.00025 }] },
    ]);
    expect(text.split('\n')).toEqual(['# HELP g a\\\\b\\nc', '# TYPE g gauge', 'g{v="say \\"hi\\"\\\\\\n"} NaN', 'g +Inf', 'g -Inf', 'g 0.00025', '']);
  });

  test('refuses names the format does not allow', () => {
    expect(() => renderExposition([{ name: 'bad-name', help: '', type: 'gauge', samples: [] }])).toThrow('invalid metric name "bad-name"');
    expect(() => renderExposition([{ name: 'ok', help: '', type: 'gauge', samples: [{ labels: { '1x': 'v' }, value: 1 }] }])).toThrow('invalid label name "1x"');
  });
});
