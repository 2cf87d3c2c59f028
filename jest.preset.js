// Shared Jest settings: TypeScript through ts-jest (decorator metadata needs the real compiler),
// workspace path aliases resolved from tsconfig.base.json.
const { pathsToModuleNameMapper } = require('ts-jest');
const { compilerOptions } = require('./tsconfig.base.json');

module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  reporters: ['default', `${__dirname}/tools/scripts/jest-summary-reporter.js`],
  // Where the checkout and the real services are: handed to @gridstation/testing by the test setup.
  setupFiles: [`${__dirname}/tools/scripts/test-environment.js`],
  moduleNameMapper: pathsToModuleNameMapper(compilerOptions.paths, { prefix: `${__dirname}/` }),
};
