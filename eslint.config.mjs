import eslint from '@eslint/js';
import boundaries from 'eslint-plugin-boundaries';
import tseslint from 'typescript-eslint';

/**
 * The dependency picture. Each lib names the libs it may import (platform is the ground floor and imports
 * none); testing is for specs and test/ only. A service may import any lib but testing, and never another
 * service; the gateway composes the services through their src/index.ts. Everything outside a lib or a
 * service reaches it only through its entry point (@logbook/<lib> is libs/<lib>/src/index.ts, tsconfig.json).
 */
const LIB_DEPENDENCIES = {
  platform: [],
  access: ['platform'],
  'artifact-paths': ['platform'],
  audit: ['platform', 'search', 'messaging'],
  eventstore: ['platform'],
  contracts: [],
  messaging: ['platform', 'eventstore', 'contracts'],
  runtime: ['platform', 'eventstore', 'messaging'],
  search: [],
  transfers: ['platform'],
  testing: ['platform', 'eventstore', 'messaging', 'search'],
};
const PRODUCTION_LIBS = Object.keys(LIB_DEPENDENCIES).filter((lib) => lib !== 'testing');

const lib = (names) => ({ element: { type: 'lib', captured: { lib: names } } });
const service = (names) => ({ element: { type: 'service', captured: { service: names } } });
/** Another element's entry point: a lib's index.ts (what @logbook/<lib> names), a service's src/index.ts. */
const libEntry = (names) => ({ element: { ...lib(names).element, fileInternalPath: 'index.ts' } });
const serviceEntry = (names) => ({ element: { ...service(names).element, fileInternalPath: 'src/index.ts' } });

/** What may import what; `specs` adds libs/testing, which only specs and test/ may use. */
function dependencyPolicies({ specs }) {
  const testing = specs ? ['testing'] : [];
  return [
    ...Object.entries(LIB_DEPENDENCIES).map(([name, dependencies]) => ({
      from: lib(name),
      allow: { to: libEntry([...dependencies, ...(name === 'testing' ? [] : testing)]) },
    })),
    { from: service('*'), allow: { to: libEntry([...PRODUCTION_LIBS, ...testing]) } },
    { from: service('gateway'), allow: { to: serviceEntry('!gateway') } },
    // The test suites drive the services from outside, through whatever they exercise.
    { from: { element: { type: 'test' } }, allow: { to: { element: { type: '*' } } } },
  ];
}

const boundaryRules = (specs) => ({
  'boundaries/dependencies': [
    'error',
    { default: 'disallow', checkUnknownLocals: true, policies: dependencyPolicies({ specs }) },
  ],
});

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.logbook/', 'deploy/checks/', 'test/boundaries/fixtures/'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'off',
    },
  },
  {
    files: ['**/*.spec.ts', 'test/**/*.ts', 'libs/testing/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  {
    files: ['libs/**/*.ts', 'services/**/*.ts', 'test/**/*.ts'],
    plugins: { boundaries },
    settings: {
      'import/resolver': { typescript: { project: 'tsconfig.json' } },
      'boundaries/elements': [
        { type: 'lib', pattern: 'libs/*/src', capture: ['lib'], partialMatch: false },
        { type: 'service', pattern: 'services/*', capture: ['service'], partialMatch: false },
        { type: 'test', pattern: 'test', partialMatch: false },
      ],
    },
    rules: boundaryRules(false),
  },
  { files: ['**/*.spec.ts'], rules: boundaryRules(true) },
);
