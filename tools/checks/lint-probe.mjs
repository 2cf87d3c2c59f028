// Lints source text as if it were the named file, with only the architecture rules, and prints the
// errors as JSON. Runs as its own process because ESLint loads flat configs with dynamic import,
// which Jest's module sandbox does not allow.
//   echo '{"file":"apps/comm/src/x.ts","code":"..."}' | node tools/checks/lint-probe.mjs
import { createProjectGraphAsync } from '@nx/devkit';
import { ESLint } from 'eslint';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..', '..');
const rules = new Set(['@nx/enforce-module-boundaries', 'no-restricted-imports']);
let input = '';
for await (const chunk of process.stdin) input += chunk;
const { file, code } = JSON.parse(input);
// The boundary rule reads the cached project graph and skips itself (a warning, no error) without one:
// build it first, so the probes judge the current tags, not a stale or missing graph.
await createProjectGraphAsync({ exitOnError: true });
// Like `nx lint <project>`: ESLint runs from the project folder, so the project's own config applies.
const projectDir = join(root, ...file.split('/').slice(0, 2));
const eslint = new ESLint({
  cwd: projectDir,
  // Probes are in no tsconfig, so type-aware rules cannot run on them.
  ruleFilter: ({ ruleId }) => rules.has(ruleId),
  overrideConfig: { languageOptions: { parserOptions: { projectService: false } } },
});
const [result] = await eslint.lintText(code, { filePath: join(root, file) });
process.stdout.write(JSON.stringify(result.messages.filter((m) => m.severity === 2).map((m) => `${m.ruleId}: ${m.message}`)));
