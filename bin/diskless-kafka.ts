#!/usr/bin/env node
// The CDK app of `npx cdk synth` / `npx cdk deploy` (cdk.json): see bin/example-app.ts.
import { createExampleApp } from './example-app';

createExampleApp().app.synth();
