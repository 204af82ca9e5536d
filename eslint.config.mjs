import nx from '@nx/eslint-plugin';
import { existsSync } from 'node:fs';
import tseslint from 'typescript-eslint';

// Without a cached project graph the module-boundary rule would skip itself with a warning;
// boundaries are part of the build, so lint refuses to run instead.
if (!existsSync(new URL('./.nx/workspace-data/project-graph.json', import.meta.url))) {
  throw new Error(
    'No cached Nx project graph: run `NX_DAEMON=false npx nx show projects` first (scripts/test.sh does).',
  );
}

const SPEC_FILES = ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts', '**/*.fixture.ts'];

// Who may import whom. Specs and fixtures may also use the test harness (@skiff/testing, @skiff/stack).
function depConstraints(specs) {
  const test = specs ? ['scope:testing', 'scope:stack'] : [];
  return [
    // Apps never import apps; tools and tests are not imported by anything.
    { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
    { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
    { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:lib'] },
    { sourceTag: 'type:test', onlyDependOnLibsWithTags: ['type:lib'] },
    // A table is importable only by the service that owns it (and the migration runner).
    { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared', ...test] },
    { sourceTag: 'scope:api-gateway', onlyDependOnLibsWithTags: ['scope:shared', 'scope:api-gateway', ...test] },
    { sourceTag: 'scope:network-svc', onlyDependOnLibsWithTags: ['scope:shared', 'scope:network-svc', ...test] },
    { sourceTag: 'scope:storage-svc', onlyDependOnLibsWithTags: ['scope:shared', 'scope:storage-svc', ...test] },
    { sourceTag: 'scope:log-svc', onlyDependOnLibsWithTags: ['scope:shared', 'scope:log-svc', ...test] },
    { sourceTag: 'scope:scheduler', onlyDependOnLibsWithTags: ['scope:shared', ...test] },
    { sourceTag: 'scope:sandbox-agent', onlyDependOnLibsWithTags: ['scope:shared', ...test] },
    {
      sourceTag: 'scope:migrations',
      onlyDependOnLibsWithTags: [
        'scope:shared',
        'scope:api-gateway',
        'scope:network-svc',
        'scope:storage-svc',
        'scope:log-svc',
      ],
    },
    { sourceTag: 'scope:stack', onlyDependOnLibsWithTags: ['scope:shared'] },
    { sourceTag: 'scope:testing', onlyDependOnLibsWithTags: ['scope:shared', 'scope:stack', 'scope:migrations'] },
    { sourceTag: 'scope:tools', onlyDependOnLibsWithTags: ['scope:shared', 'scope:stack', 'scope:testing'] },
    { sourceTag: 'scope:test', onlyDependOnLibsWithTags: ['scope:shared', 'scope:stack', 'scope:testing'] },
  ];
}

function boundaries(specs) {
  return ['error', { banTransitiveDependencies: false, allow: [], depConstraints: depConstraints(specs) }];
}

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.nx/', '.skiff/', 'coverage/'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@nx/enforce-module-boundaries': boundaries(false),
    },
  },
  { files: SPEC_FILES, rules: { '@nx/enforce-module-boundaries': boundaries(true) } },
  {
    files: ['**/*.js', '**/*.mjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
