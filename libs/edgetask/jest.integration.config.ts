// Integration specs run against the real kube-apiserver started by tools/infra (see README). The
// Kubernetes client is an ES module: this target runs jest with --experimental-vm-modules.
export default {
  displayName: 'edgetask-feature:integration',
  preset: '../../jest.preset.js',
  rootDir: '.',
  testMatch: ['<rootDir>/test/**/*.int-spec.ts'],
  testTimeout: 120000,
};
