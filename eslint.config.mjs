import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

// Module boundaries are errors, not warnings. Tags:
//   type:app | type:lib | type:tool     apps and tools depend on libs only; libs never on apps
//   kind:pure | kind:io                 pure libs (codecs, contracts, config) depend on pure libs only
//   scope:shared | scope:server | scope:edge
//                                       the edge agent (scope:edge) cannot reach server-side storage libs
//   layer:pure | layer:kit | layer:adapter | layer:feature | layer:simulation
//                                       what a lib is: codecs/contracts/config/errors, the service kit
//                                       (Nest, telemetry, test helpers), ports + adapters of the outside
//                                       world, features (a service's logic), the simulator. Features
//                                       never import other features; adapters and the kit never import
//                                       features.
const boundaries = {
  enforceBuildableLibDependency: false,
  allow: [],
  depConstraints: [
    { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
    { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
    { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:lib'] },
    { sourceTag: 'kind:pure', onlyDependOnLibsWithTags: ['kind:pure'] },
    { sourceTag: 'scope:edge', onlyDependOnLibsWithTags: ['scope:shared', 'scope:edge'] },
    { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
    { sourceTag: 'layer:pure', onlyDependOnLibsWithTags: ['layer:pure'] },
    { sourceTag: 'layer:kit', onlyDependOnLibsWithTags: ['layer:pure', 'layer:kit'] },
    { sourceTag: 'layer:adapter', onlyDependOnLibsWithTags: ['layer:pure', 'layer:kit', 'layer:adapter'] },
    { sourceTag: 'layer:feature', onlyDependOnLibsWithTags: ['layer:pure', 'layer:kit', 'layer:adapter'] },
    { sourceTag: 'layer:simulation', onlyDependOnLibsWithTags: ['layer:pure', 'layer:kit', 'layer:adapter'] },
  ],
};

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  { ignores: ['**/dist', '**/node_modules', '**/src/gen/**', '**/src/generated/**', '.infra/**', 'tmp/**'] },
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@nx/enforce-module-boundaries': ['error', boundaries],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      // noUncheckedIndexedAccess is on; `!` marks an index already proven in range.
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
  },
];
