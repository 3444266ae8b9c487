/**
 * Jest runs in native ESM mode (node --experimental-vm-modules, see the `test`
 * script) so that the ESM-only @kubernetes/client-node loads as it does in
 * production, unchanged. ts-jest compiles our TypeScript to ESM without type
 * checking (isolatedModules); `npm run typecheck` checks src and test together.
 * Imports are written with `.js` suffixes (NodeNext); the mapper strips them for
 * our own files so ts-jest can find the `.ts` source.
 */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testTimeout: 30000,
  globalSetup: '<rootDir>/test/global-setup.js',
};
