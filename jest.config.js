/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // isolatedModules: type-checking is a separate CI step (npm run typecheck); transpile-only keeps jest fast.
    '^.+\\.ts$': ['ts-jest', { isolatedModules: true }],
  },
  // Real brokers, real clients and real synths: give each test file room, and never run two
  // heavy files at once on a 2-core machine beyond what jest already schedules.
  testTimeout: 120000,
  maxWorkers: 2,
};
