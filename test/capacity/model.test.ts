import type { CapacityState, Finding } from '../../lib/capacity/model';
import {
  assessCapacity,
  brokerCapacity,
  brokersFor,
  brokersPerZone,
  checkInstanceTypesOffered,
  checkWalAvailable,
  checkWalTierAgainstDeclared,
  DEFAULT_AKU,
  findThroughputTier,
  fleetAkus,
  formatPlanMarkdown,
  formatPlanSummary,
  formatPlanText,
  INSTANCE_TYPE_SPECS,
  largestFleetWithin,
  planCapacity,
  resolveAku,
} from '../../lib/capacity/model';

const M7G = ['m7g.large'];

function assess(state: Partial<CapacityState>): Finding[] {
  return assessCapacity({ deploymentType: 'MULTI_AZ_2', throughputMBps: 384, instanceTypes: M7G, ...state }).findings;
}

function ids(findings: readonly Finding[]): string[] {
  return findings.map((f) => f.ruleId);
}

describe('WalThroughput: the requested AKUs against the tier', () => {
  test.each([
    ['MULTI_AZ_2', 384, 5, true],
    ['MULTI_AZ_2', 384, 6, false],
    ['MULTI_AZ_2', 768, 10, true],
    ['MULTI_AZ_2', 768, 11, false],
    ['MULTI_AZ_2', 1536, 20, true],
    ['MULTI_AZ_2', 1536, 21, false],
    ['MULTI_AZ_2', 6144, 80, true],
    ['MULTI_AZ_2', 6144, 81, false],
    ['MULTI_AZ_1', 128, 1, true],
    ['MULTI_AZ_1', 128, 2, false],
    ['MULTI_AZ_1', 4096, 53, true],
    ['MULTI_AZ_1', 4096, 54, false],
  ] as const)('%s %i MBps with %i AKU passes: %s', (deploymentType, throughputMBps, akus, passes) => {
    const findings = assess({ deploymentType, throughputMBps, akus, instanceTypes: ['m7g.4xlarge'] });
    expect(ids(findings).includes('WalThroughput')).toBe(!passes);
  });

  test.each([
    [384, 6, '6 AKU need 180 MiB/s of WAL writes; the 384 MBps tier carries 150 MiB/s: choose 768 MBps or at most 5 AKU'],
    [768, 11, '11 AKU need 330 MiB/s of WAL writes; the 768 MBps tier carries 300 MiB/s: choose 1536 MBps or at most 10 AKU'],
    [
      1536,
      21,
      '21 AKU need 630 MiB/s of WAL writes; the 1536 MBps tier carries 600 MiB/s (extrapolated): choose 3072 MBps or at most 20 AKU',
    ],
    [
      6144,
      81,
      '81 AKU need 2430 MiB/s of WAL writes; the 6144 MBps tier carries 2400 MiB/s (extrapolated): no MULTI_AZ_2 tier carries that much ' +
        '(the largest, 6144 MBps tier carries 2400 MiB/s (extrapolated)); at most 80 AKU fit this one',
    ],
  ])('%i MBps with %i AKU says what was asked, the limit and what to change', (throughputMBps, akus, message) => {
    const findings = assess({ throughputMBps, akus, instanceTypes: ['m7g.4xlarge'] });
    expect(findings.find((f) => f.ruleId === 'WalThroughput')).toEqual({ ruleId: 'WalThroughput', severity: 'error', message });
  });

  test('a user-defined AKU changes the boundary and the message', () => {
    const aku = { writeMiBps: 50, readMiBps: 100, partitions: 1000, source: 'our benchmark' };
    expect(ids(assess({ akus: 3, aku }))).not.toContain('WalThroughput');
    expect(assess({ akus: 4, aku }).find((f) => f.ruleId === 'WalThroughput')?.message).toBe(
      '4 AKU need 200 MiB/s of WAL writes; the 384 MBps tier carries 150 MiB/s: choose 768 MBps or at most 3 AKU',
    );
  });
});

describe('the tier table', () => {
  test('measured and extrapolated figures', () => {
    expect(findThroughputTier('MULTI_AZ_2', 384)).toEqual({ throughputMBps: 384, kafkaWriteMiBps: 150, extrapolated: false });
    expect(findThroughputTier('MULTI_AZ_2', 768)).toEqual({ throughputMBps: 768, kafkaWriteMiBps: 300, extrapolated: false });
    expect(findThroughputTier('MULTI_AZ_2', 3072)).toEqual({ throughputMBps: 3072, kafkaWriteMiBps: 1200, extrapolated: true });
    expect(findThroughputTier('MULTI_AZ_1', 512)).toEqual({ throughputMBps: 512, kafkaWriteMiBps: 200, extrapolated: true });
  });

  test.each([
    ['MULTI_AZ_2', 400, ['WalTier'], '400 MBps is not a MULTI_AZ_2 throughput tier; allowed: 384, 768, 1536, 3072, 6144 MBps'],
    ['MULTI_AZ_1', 384, ['WalTier'], '384 MBps is not a MULTI_AZ_1 throughput tier; allowed: 128, 256, 512, 1024, 2048, 4096 MBps'],
    [
      'SINGLE_AZ_1',
      512,
      ['WalDeploymentType'],
      'deployment type SINGLE_AZ_1 cannot hold the WAL: it does not survive the loss of a zone; use MULTI_AZ_2 or MULTI_AZ_1',
    ],
    ['MULTI_AZ_3', 384, ['WalDeploymentType'], 'deployment type MULTI_AZ_3 is not an FSx for ONTAP deployment type: use MULTI_AZ_2 or MULTI_AZ_1'],
  ])('%s at %i MBps is refused', (deploymentType, throughputMBps, expectedIds, message) => {
    const findings = assess({ deploymentType, throughputMBps, akus: 3 });
    expect(ids(findings)).toEqual(expectedIds);
    expect(findings[0]).toEqual({ ruleId: expectedIds[0], severity: 'error', message });
  });
});

describe('WalOversized: a tier far larger than the AKUs need', () => {
  test.each([
    [768, 3, true],
    [768, 4, true],
    [768, 5, false], // exactly half used
    [384, 1, false], // no smaller tier
    [1536, 10, false],
    [1536, 9, true],
  ])('%i MBps with %i AKU warns: %s', (throughputMBps, akus, warns) => {
    const findings = assess({ throughputMBps, akus, instanceTypes: ['m7g.4xlarge'] });
    expect(ids(findings).includes('WalOversized')).toBe(warns);
  });

  test('the warning names the cheaper tier', () => {
    expect(assess({ throughputMBps: 768, akus: 3 })).toEqual([
      {
        ruleId: 'WalOversized',
        severity: 'warning',
        message: '3 AKU need 90 MiB/s of WAL writes; the 768 MBps tier carries 300 MiB/s, 30% used: 384 MBps carries them (150 MiB/s) at lower cost',
      },
    ]);
  });
});

describe('broker capacity: min(1 AKU per vCPU, baseline network / 60 MiB/s per AKU)', () => {
  test.each([
    ['m6g.large', 1, 'network'],
    ['m7g.large', 1, 'network'],
    ['m6i.large', 1, 'network'],
    ['r6i.large', 1, 'network'],
    ['m6g.xlarge', 2, 'network'],
    ['m7g.xlarge', 3, 'network'],
    ['c6i.xlarge', 3, 'network'],
    ['m6g.2xlarge', 4, 'network'],
    ['m6i.2xlarge', 6, 'network'],
    ['m7g.2xlarge', 7, 'network'],
    ['m6g.4xlarge', 9, 'network'],
    ['m7a.4xlarge', 12, 'network'],
    ['r7g.4xlarge', 14, 'network'],
  ])('%s carries %i AKU (%s-bound)', (instanceType, akus, limitedBy) => {
    const capacity = brokerCapacity(instanceType, INSTANCE_TYPE_SPECS[instanceType], DEFAULT_AKU);
    expect(capacity).toMatchObject({ akus, limitedBy });
  });

  test('a type with a large baseline is vCPU-bound', () => {
    expect(brokerCapacity('x.large', { vcpus: 2, baselineBandwidthGbps: 25 }, DEFAULT_AKU)).toMatchObject({
      akus: 2,
      vcpuAkus: 2,
      networkAkus: 49,
      limitedBy: 'vcpus',
    });
  });

  test('a larger AKU shrinks the network side: 2 x 50 MiB/s of outbound writes per AKU', () => {
    const aku = resolveAku({ writeMiBps: 50, readMiBps: 60, partitions: 1000 });
    expect(brokerCapacity('m7g.xlarge', INSTANCE_TYPE_SPECS['m7g.xlarge'], aku).akus).toBe(2);
  });

  test('instance specs given by the caller win over the table', () => {
    const findings = assess({ akus: 3, instanceSpecs: { 'm7g.large': { vcpus: 2, baselineBandwidthGbps: 0.25 } } });
    expect(findings).toEqual([
      {
        ruleId: 'BrokerTooSmall',
        severity: 'error',
        message:
          'instance type m7g.large carries no AKU: it has 2 vCPUs and 29.8 MiB/s of baseline network each way, ' +
          'and one AKU needs 1 vCPU and 60 MiB/s: choose a larger type',
      },
    ]);
  });

  test('an unknown type asks for its figures', () => {
    expect(assess({ akus: 3, instanceTypes: ['x9.large'] })).toEqual([
      {
        ruleId: 'InstanceTypeUnknown',
        severity: 'error',
        message:
          "instance type x9.large has no known vCPU and baseline network figures: pass them in instanceSpecs (e.g. { 'x9.large': " +
          '{ vcpus: 2, baselineBandwidthGbps: 0.937 } }) or choose a listed type such as m7g.large',
      },
    ]);
    expect(ids(assess({ akus: 3, instanceTypes: [] }))).toEqual(['InstanceTypeUnknown']);
  });

  test('types of different sizes warn: the fleet is sized for the weakest', () => {
    const findings = assess({ akus: 3, instanceTypes: ['m7g.large', 'm7g.xlarge'] });
    expect(findings).toEqual([
      {
        ruleId: 'MixedBrokerSizes',
        severity: 'warning',
        message:
          'the instance types carry different AKUs per broker (m7g.large 1, m7g.xlarge 3); the fleet is sized for the weakest, 1 AKU, ' +
          'so stronger brokers idle: list types of one size',
      },
    ]);
  });
});

describe('fleet sizing across three zones', () => {
  test.each([
    [1, 1, false, 3],
    [3, 1, false, 3],
    [4, 1, false, 4],
    [5, 1, false, 5],
    [6, 2, false, 3],
    [7, 2, false, 4],
    [3, 1, true, 5], // 5 brokers (2, 2, 1) keep 3 after losing a zone of 2
    [5, 1, true, 8],
    [6, 3, true, 3],
    [7, 3, true, 5],
  ])('%i AKU at %i AKU per broker, keep after zone loss %s: %i brokers', (akus, brokerAkus, keep, brokers) => {
    expect(brokersFor(akus, brokerAkus, keep)).toBe(brokers);
    expect(fleetAkus(brokers, brokerAkus, keep)).toBeGreaterThanOrEqual(akus);
    if (brokers > 3) expect(fleetAkus(brokers - 1, brokerAkus, keep)).toBeLessThan(akus);
  });

  test.each([
    [3, [1, 1, 1]],
    [4, [2, 1, 1]],
    [5, [2, 2, 1]],
    [8, [3, 3, 2]],
  ])('%i brokers balance as %j', (brokers, perZone) => {
    expect(brokersPerZone(brokers)).toEqual(perZone);
  });

  test.each([
    [5, 1, false, 5],
    [5, 1, true, 8],
    [10, 3, false, 3],
    [2, 3, false, 0],
  ])('the largest fleet within %i AKU at %i AKU per broker (keep %s) is %i', (tierAkus, brokerAkus, keep, brokers) => {
    expect(largestFleetWithin(tierAkus, brokerAkus, keep)).toBe(brokers);
  });

  test('sizing refuses brokers that carry nothing', () => {
    expect(() => brokersFor(3, 0, false)).toThrow('fleet sizing needs brokers that carry at least 1 AKU each, got 0');
  });
});

describe('rules on a declared fleet', () => {
  test.each([
    [{ zones: 2, minBrokers: 3, desiredBrokers: 3, maxBrokers: 5 }, [
      "the fleet spans 2 zones; it needs exactly 3, one broker in each at least: give the Auto Scaling group one subnet in each of three zones",
    ]],
    [{ zones: 3, minBrokers: 2, desiredBrokers: 3, maxBrokers: 5 }, [
      "the fleet's minimum is 2 brokers; it needs at least 3, one per zone: set the minimum to 3 or more",
    ]],
    [{ zones: 3, minBrokers: 3, desiredBrokers: 1, maxBrokers: 5 }, [
      "the fleet's desired capacity is 1 broker; it needs at least 3, one per zone: set the desired capacity to 3 or more",
    ]],
  ])('ThreeZones: %j', (fleet, messages) => {
    const findings = assess({ akus: 1, fleet }).filter((f) => f.ruleId === 'ThreeZones');
    expect(findings.map((f) => f.message)).toEqual(messages);
  });

  test('FleetExceedsWal: each size above the bound, with the tier that would carry it', () => {
    const findings = assess({ akus: 3, fleet: { zones: 3, minBrokers: 3, desiredBrokers: 6, maxBrokers: 12 } });
    expect(findings).toEqual([
      {
        ruleId: 'FleetExceedsWal',
        severity: 'error',
        message:
          "the fleet's desired capacity of 6 brokers guarantees 6 AKU at 1 AKU per broker (m7g.large); the 384 MBps tier carries 150 MiB/s, 5 AKU: " +
          'set the desired capacity to at most 5 brokers or choose 768 MBps',
      },
      {
        ruleId: 'FleetExceedsWal',
        severity: 'error',
        message:
          "the fleet's maximum of 12 brokers guarantees 12 AKU at 1 AKU per broker (m7g.large); the 384 MBps tier carries 150 MiB/s, 5 AKU: " +
          'set the maximum to at most 5 brokers or choose 1536 MBps',
      },
    ]);
  });

  test('FleetExceedsWal at the boundary: the bound passes, one more fails', () => {
    expect(assess({ akus: 3, fleet: { zones: 3, minBrokers: 3, maxBrokers: 5 } })).toEqual([]);
    expect(ids(assess({ akus: 3, fleet: { zones: 3, minBrokers: 3, maxBrokers: 6 } }))).toEqual(['FleetExceedsWal']);
  });

  test('FleetExceedsWal counts only the AKUs left after a zone loss when those are what is guaranteed', () => {
    const keep = { akus: 3, keepAkusAfterZoneLoss: true };
    expect(assess({ ...keep, fleet: { zones: 3, minBrokers: 5, maxBrokers: 8 } })).toEqual([]);
    expect(assess({ ...keep, fleet: { zones: 3, minBrokers: 5, maxBrokers: 9 } })[0].message).toBe(
      "the fleet's maximum of 9 brokers guarantees 6 AKU after losing its fullest zone at 1 AKU per broker (m7g.large); " +
        'the 384 MBps tier carries 150 MiB/s, 5 AKU: set the maximum to at most 8 brokers or choose 768 MBps',
    );
  });

  test('without requested AKUs (a template composed by hand) the bound still applies', () => {
    expect(ids(assess({ fleet: { zones: 3, minBrokers: 3, maxBrokers: 6 } }))).toEqual(['FleetExceedsWal']);
  });

  test('FleetCapacity: the minimum must carry the requested AKUs', () => {
    expect(assess({ akus: 4, fleet: { zones: 3, minBrokers: 3, maxBrokers: 5 } })).toEqual([
      {
        ruleId: 'FleetCapacity',
        severity: 'error',
        message: "the fleet's minimum of 3 brokers carries 3 AKU at 1 AKU per broker (m7g.large); 4 AKU are requested: set the minimum to at least 4 brokers",
      },
    ]);
  });

  test('ZoneLoss: the minimum must keep the AKUs without its fullest zone', () => {
    expect(assess({ akus: 3, keepAkusAfterZoneLoss: true, fleet: { zones: 3, minBrokers: 4, maxBrokers: 8 } })).toEqual([
      {
        ruleId: 'ZoneLoss',
        severity: 'error',
        message:
          "after losing its fullest zone (2 of 4 brokers), the fleet's minimum keeps 2 AKU at 1 AKU per broker (m7g.large); " +
          '3 AKU must survive a zone loss: set the minimum to at least 5 brokers',
      },
    ]);
  });

  test('BrokersExceedWal: three large brokers guarantee more than a small tier absorbs', () => {
    expect(assess({ akus: 1, instanceTypes: ['m7g.2xlarge'] })).toEqual([
      {
        ruleId: 'BrokersExceedWal',
        severity: 'warning',
        message:
          'the smallest fleet for 1 AKU, 3 brokers at 7 AKU per broker (m7g.2xlarge), guarantees 21 AKU; the 384 MBps tier carries 150 MiB/s, 5 AKU: ' +
          'the brokers will wait on the WAL; choose smaller instance types or a larger tier',
      },
    ]);
  });
});

describe('rules on live resources', () => {
  test.each([
    ['AVAILABLE', []],
    ['UPDATING', []],
    ['MISCONFIGURED', ['file system fs-1 is MISCONFIGURED; the WAL needs it AVAILABLE or UPDATING: check it in the FSx console before deploying again']],
    [undefined, ['file system fs-1 is in an unknown state; the WAL needs it AVAILABLE or UPDATING: check it in the FSx console before deploying again']],
  ])('WalAvailable with lifecycle %s', (lifecycle, messages) => {
    expect(checkWalAvailable('fs-1', lifecycle).map((f) => f.message)).toEqual(messages);
  });

  test('WalTierBelowDeclared: smaller fails, equal or larger passes', () => {
    expect(checkWalTierAgainstDeclared('fs-1', 768, 768)).toEqual([]);
    expect(checkWalTierAgainstDeclared('fs-1', 1536, 768)).toEqual([]);
    expect(checkWalTierAgainstDeclared('fs-1', 384, 768)).toEqual([
      {
        ruleId: 'WalTierBelowDeclared',
        severity: 'error',
        message: "file system fs-1 runs at 384 MBps but the cluster declares 768 MBps: raise the file system's throughput capacity to 768 MBps or declare 384 MBps",
      },
    ]);
  });

  test('InstanceTypeOffered names each type and the zones it lacks', () => {
    const offered = new Set(['m7g.large@a', 'm7g.large@b', 'm7g.large@c', 'm6g.large@a']);
    expect(checkInstanceTypesOffered(['m7g.large', 'm6g.large'], ['a', 'b', 'c'], (t, z) => offered.has(`${t}@${z}`))).toEqual([
      {
        ruleId: 'InstanceTypeOffered',
        severity: 'error',
        message: 'instance type m6g.large is not offered in b, c: the fleet needs every type in each of its zones (a, b, c); remove the type or choose other zones',
      },
    ]);
  });
});

describe('the capacity plan', () => {
  test('the default cluster: 3 AKU on 384 MBps, three 1-AKU brokers, up to 5', () => {
    const plan = planCapacity({ throughputMBps: 384, akus: 3, instanceTypes: ['m7g.large', 'm6g.large'] });
    expect(plan).toMatchObject({
      akus: 3,
      writeMiBps: 90,
      readMiBps: 180,
      partitions: 3375,
      wal: { deploymentType: 'MULTI_AZ_2', tierAkus: 5, headroomMiBps: 60, headroomPercent: 40 },
      fleet: { minBrokers: 3, desiredBrokers: 3, maxBrokers: 5, perZone: [1, 1, 1], brokerAkus: 1, akus: 3, akusAfterZoneLoss: 2 },
      findings: [],
    });
  });

  test('keeping the AKUs after a zone loss sizes the fleet for two zones', () => {
    const plan = planCapacity({ throughputMBps: 384, akus: 5, instanceTypes: M7G, keepAkusAfterZoneLoss: true });
    expect(plan.fleet).toMatchObject({ minBrokers: 8, desiredBrokers: 8, maxBrokers: 8, perZone: [3, 3, 2], akusAfterZoneLoss: 5 });
    expect(plan.wal?.headroomMiBps).toBe(0);
    expect(plan.findings).toEqual([]);
  });

  test('an explicit maximum above the bound is an error, not a silent clamp', () => {
    const plan = planCapacity({ throughputMBps: 384, akus: 3, instanceTypes: M7G, maxBrokers: 9 });
    expect(plan.fleet?.maxBrokers).toBe(9);
    expect(ids(plan.findings)).toEqual(['FleetExceedsWal']);
  });

  test('an explicit maximum too small to keep the AKUs after a zone loss is an error', () => {
    const plan = planCapacity({ throughputMBps: 768, akus: 3, instanceTypes: M7G, keepAkusAfterZoneLoss: true, maxBrokers: 4 });
    expect(plan.fleet).toMatchObject({ minBrokers: 4, desiredBrokers: 4, maxBrokers: 4 });
    expect(ids(plan.findings)).toEqual(['WalOversized', 'ZoneLoss']);
  });

  test('an invalid tier leaves the WAL out of the plan and says why', () => {
    const plan = planCapacity({ throughputMBps: 500, akus: 3, instanceTypes: M7G });
    expect(plan.wal).toBeUndefined();
    expect(plan.fleet).toMatchObject({ desiredBrokers: 3, maxBrokers: 3 });
    expect(ids(plan.findings)).toEqual(['WalTier']);
  });

  test('text, Markdown and one-line renderings', () => {
    const plan = planCapacity({ throughputMBps: 768, akus: 3, instanceTypes: M7G });
    const text = formatPlanText(plan);
    expect(text).toContain('WAL tier        MULTI_AZ_2 768 MBps: 300 MiB/s of Kafka writes (measured), 10 AKU');
    expect(text).toContain('Brokers         3 (per zone: 1, 1, 1), minimum 3, maximum 10');
    expect(text).toContain('WAL headroom    210 MiB/s of writes (70%)');
    expect(text).toContain('Findings        warning WalOversized: 3 AKU need 90 MiB/s');
    expect(formatPlanMarkdown(plan).split('\n').slice(0, 3)).toEqual([
      '| Capacity plan | |',
      '|---|---|',
      '| WAL tier | MULTI_AZ_2 768 MBps: 300 MiB/s of Kafka writes (measured), 10 AKU |',
    ]);
    expect(formatPlanSummary(plan)).toBe('768 MBps WAL, 3 AKU, 3 brokers (max 10, 1 AKU each), 210 MiB/s WAL headroom');
    expect(formatPlanText(planCapacity({ throughputMBps: 1536, akus: 20, instanceTypes: ['m7g.4xlarge'] }))).toContain(
      '1536 MBps: 600 MiB/s of Kafka writes (extrapolated), 20 AKU',
    );
  });
});

describe('bad input', () => {
  test.each([
    [{ akus: 2.5 }, 'akus must be a whole number of at least 1, got 2.5'],
    [{ akus: 0 }, 'akus must be a whole number of at least 1, got 0'],
    [{ akus: 3, maxBrokers: 0 }, 'maxBrokers must be a whole number of at least 1, got 0'],
    [{ akus: 3, aku: { writeMiBps: 0, readMiBps: 60, partitions: 1 } }, 'AKU definition: writeMiBps must be a positive number (MiB/s), got 0'],
    [{ akus: 3, aku: { writeMiBps: 30, readMiBps: 60, partitions: -1 } }, 'AKU definition: partitions must be a positive number (partitions), got -1'],
  ])('%j', (request, message) => {
    expect(() => planCapacity({ throughputMBps: 384, instanceTypes: M7G, ...request })).toThrow(message);
  });

  test('the default AKU is used when none is given, and names its source', () => {
    expect(resolveAku()).toBe(DEFAULT_AKU);
    expect(resolveAku({ writeMiBps: 20, readMiBps: 20, partitions: 1125 }).source).toBe('user-supplied definition');
  });
});
