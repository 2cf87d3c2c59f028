// Integration specs run against the real services started by tools/infra (here: the kube-apiserver).
export default {
  displayName: 'workspace-checks:integration',
  preset: '../../jest.preset.js',
  rootDir: '.',
  testMatch: ['<rootDir>/test/**/*.int-spec.ts'],
  testTimeout: 120000,
};
