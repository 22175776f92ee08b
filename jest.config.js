// ESM + ts-jest: tests import the sources with their `.js` suffixes, as NodeNext requires.
// The environment holds back what the code under test writes to stdout (@actions/core's `::debug::`
// and `::warning::` lines, @actions/exec's `[command]`) and prints it only for a test that fails.
const typescript = {
  testEnvironment: '<rootDir>/__tests__/setup/quiet-environment.mjs',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.dev.json' }]
  }
}

/** @type {import('jest').Config} */
export default {
  // Three projects; `--selectProjects unit integration` (npm run test:unit) or `e2e` picks some.
  projects: [
    { ...typescript, displayName: 'unit', testMatch: ['<rootDir>/__tests__/unit/**/*.test.ts'] },
    {
      ...typescript,
      displayName: 'integration',
      testMatch: [
        '<rootDir>/__tests__/integration/**/*.test.ts',
        '<rootDir>/__tests__/relay/**/*.test.ts'
      ],
      // Builds the relay's deployable file and runs it in a child process: an end-to-end test.
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/__tests__/relay/build.test.ts']
    },
    {
      ...typescript,
      displayName: 'e2e',
      testMatch: [
        '<rootDir>/__tests__/e2e/**/*.test.ts',
        '<rootDir>/__tests__/relay/build.test.ts'
      ],
      // The end-to-end tests run a bundle of the current source, cached in build/e2e/<hash>/.
      // A project's globalSetup runs only when one of its test files is selected: unit and
      // integration runs never bundle.
      globalSetup: '<rootDir>/__tests__/setup/bundle-for-e2e.mjs'
    }
  ],
  // End-to-end tests spawn the bundled action; keep the two cores for them.
  maxWorkers: 2,
  testTimeout: 30000,
  // In-process tests only (unit and integration): the end-to-end tests run the bundle in a child.
  collectCoverageFrom: ['src/**/*.ts', '!src/index.ts', '!src/shims/**'],
  coverageReporters: ['text-summary', 'lcov'],
  // A floor today's suite meets (see the README): coverage may rise, never silently fall.
  coverageThreshold: { global: { statements: 85, branches: 70, functions: 88, lines: 85 } }
}
