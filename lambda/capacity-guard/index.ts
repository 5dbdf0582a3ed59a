/** Lambda entry point of the capacity guard: the handler over real AWS clients. */

import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EC2Client } from '@aws-sdk/client-ec2';
import { FSxClient } from '@aws-sdk/client-fsx';
import { createCapacityGuard } from './guard';

// maxAttempts 1: retry.ts is the one retry policy (throttling and transient errors, with backoff).
const clientConfig = { maxAttempts: 1 };

export const handler = createCapacityGuard({
  clients: {
    fsx: new FSxClient(clientConfig),
    ec2: new EC2Client(clientConfig),
    autoScaling: new AutoScalingClient(clientConfig),
    cloudWatch: new CloudWatchClient(clientConfig),
  },
  retry: { attempts: 6, baseDelayMs: 200, sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) },
  log: (line) => console.log(line),
});
