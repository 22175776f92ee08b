// ESM + ts-jest: tests import the sources with their `.js` suffixes, as NodeNext requires.
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.dev.json' }]
  },
  testMatch: ['**/__tests__/**/*.test.ts'],
  // End-to-end tests spawn the bundled action; keep the two cores for them.
  maxWorkers: 2,
  testTimeout: 30000
}
