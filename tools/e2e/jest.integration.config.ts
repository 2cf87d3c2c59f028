// Integration specs run against the real services started by tools/infra (see README).
export default {
  displayName: 'e2e:integration',
  preset: '../../jest.preset.js',
  rootDir: '.',
  testMatch: ['<rootDir>/test/**/*.int-spec.ts'],
  testTimeout: 900000,
};
