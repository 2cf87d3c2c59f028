// Integration specs run against the real services started by tools/infra (see README).
export default {
  displayName: 'console:integration',
  preset: '../../jest.preset.js',
  rootDir: '.',
  testMatch: ['<rootDir>/test/**/*.int-spec.ts'],
  testTimeout: 120000,
};
