// The project's rules that the type checker cannot see (`npm run lint`; `npm test` runs it first):
// - the plugin boundary: core (server/) never imports a plugin, a plugin never imports another,
//   and plugins reach core only through server/plugin-api.ts;
// - no import cycles;
// - child processes get argv arrays, never shell strings;
// - SQL stays in server/db and in a plugin's own store (store.ts, db/);
// - audit rows are written through audit() in server/core/audit.ts, which also calls the audit hook.
// Templates are checked for unescaped output by scripts/lint-templates.js.
import fs from 'node:fs';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';

const plugins = fs.readdirSync(new URL('./plugins/', import.meta.url), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);

const SHELL = [
  { selector: "Property[key.name='shell'][value.value=true]", message: 'spawn with shell: true runs a shell string; pass an argv array' },
];
const SQL = {
  selector: "CallExpression[arguments.0.type='Literal'][callee.name='db'], CallExpression[arguments.0.type='Literal'][callee.property.name='db']",
  message: 'SQL belongs in server/db (core tables) or in the plugin\'s store.ts / db/ (its own tables)',
};
const EXEC = {
  name: 'node:child_process', importNames: ['exec', 'execSync'], message: 'exec() runs a shell string; use execFile/spawn with an argv array',
};
const APPEND_AUDIT = {
  group: ['**/db/audit.ts'], importNames: ['appendAudit'], message: 'audit rows go through audit() in server/core/audit.ts (it calls hooks.audit)',
};

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', '**/*.d.ts', 'buildpacks/**', 'test/fixtures/**', 'bench/results/**'] },
  {
    files: ['**/*.ts', '**/*.js', '**/*.mjs'],
    languageOptions: { parser: tseslint.parser, ecmaVersion: 2023, sourceType: 'module' },
    plugins: { 'import-x': importX },
    // no-cycle parses the imported files too: with the TypeScript parser, or it skips them silently.
    settings: { 'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] }, 'import-x/extensions': ['.ts', '.js', '.mjs'] },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'no-restricted-syntax': ['error', ...SHELL, SQL],
      'no-restricted-imports': ['error', { paths: [EXEC], patterns: [APPEND_AUDIT] }],
    },
  },
  {
    files: ['server/**'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [EXEC],
        patterns: [APPEND_AUDIT, { group: ['**/plugins/**'], message: 'core (server/) imports no plugin: the entry points hand plugins/builtin.ts to it' }],
      }],
    },
  },
  // Each plugin imports core's plugin API and its own files, never another plugin's.
  ...plugins.map((name) => ({
    files: [`plugins/${name}/**`],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [EXEC],
        patterns: [APPEND_AUDIT, ...plugins.filter((other) => other !== name).map((other) => ({
          group: [`../${other}/**`, `**/plugins/${other}/**`], message: `plugin ${name} imports plugin ${other}: share through core or a hook instead`,
        })), {
          group: ['**/server/**', '!**/server/plugin-api.ts'], message: `plugin ${name} reaches core through server/plugin-api.ts only`,
        }],
      }],
    },
  })),
  // Where SQL and audit rows are written.
  { files: ['server/db/**', 'plugins/*/store.ts', 'plugins/*/db/**'], rules: { 'no-restricted-syntax': ['error', ...SHELL] } },
  { files: ['server/core/audit.ts', 'server/core/bootstrap.ts'], rules: { 'no-restricted-imports': ['error', { paths: [EXEC] }] } },
  // Tests may set up rows directly and start what they need.
  { files: ['**/*.test.ts', '**/*.test-support.ts', 'test/**', 'cli/test-support.ts', 'bench/**', 'scripts/**'], rules: { 'no-restricted-syntax': 'off', 'no-restricted-imports': 'off' } },
);
