import tseslint from 'typescript-eslint';

const nodeBuiltins = ['node:*', 'fs', 'path', 'os', 'net', 'tls', 'http', 'https', 'crypto', 'child_process',
  'events', 'stream', 'url', 'util', 'worker_threads', 'buffer', 'zlib', 'dns'];

export default tseslint.config(
  { ignores: ['node_modules/**', 'out/**', 'dist/**', 'test-results/**', 'bench/.work/**', 'docs/receivers/**'] },
  ...tseslint.configs.recommended,
  {
    // Type-aware rules (docs/decisions/0018-tests-prove-by-state.md): a promise nobody awaits or catches, a promise
    // where a callback's result is ignored, and `any` leaking out of JSON, caught errors or untyped libraries.
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      parserOptions: { project: ['./tsconfig.json', './tsconfig.web.json', './tsconfig.electron.json'], tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unsafe-argument': 'error',
      '@typescript-eslint/no-unsafe-assignment': 'error',
      '@typescript-eslint/no-unsafe-call': 'error',
      '@typescript-eslint/no-unsafe-member-access': 'error',
      '@typescript-eslint/no-unsafe-return': 'error',
    },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': 'off',
    },
  },
  {
    // Tests read JSON bodies of many shapes; typing each one would only restate the contract.
    // The same holds for the unsafe-any rules; the promise rules (a missing await) apply to tests as to everything.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // The purity guard (docs/decisions/0003-pure-core.md): core runs in Electron main, headless serve and (its types) the renderer.
    files: ['src/core/**/*.ts', 'src/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: nodeBuiltins, message: 'src/core is pure: no Node built-ins.' },
          { group: ['electron', 'electron/*'], message: 'src/core is pure: no Electron.' },
          { group: ['better-sqlite3', 'react', 'react-dom', 'zustand', 'tsx', '@xmpp/*'], message: 'src/core is pure.' },
          { group: ['**/node/**', '**/main/**', '**/renderer/**', '**/preload/**', '**/sandbox/**'], message: 'core imports nothing from node/main/renderer/sandbox.' },
        ],
      }],
      'no-restricted-globals': ['error', 'process', 'Buffer', 'window', 'document', 'require', '__dirname'],
    },
  },
  {
    // The renderer imports only core types and the shared contract (docs/ARCHITECTURE.md).
    files: ['src/renderer/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: nodeBuiltins, message: 'The renderer cannot use Node.' },
          { group: ['electron', 'electron/*'], message: 'The renderer talks to main only through the preload bridge.' },
          { group: ['**/node/**', '**/main/**', '**/sandbox/**', '**/preload/**'], message: 'The renderer imports only core and shared.' },
        ],
      }],
    },
  },
  {
    // Only main and preload may touch Electron (and never code that tests or serve load).
    files: ['src/node/**', 'src/sandbox/**', 'test/**', 'bench/**', 'scripts/**', 'bin/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['electron', 'electron/*'], message: 'Importing electron here downloads a binary in plain Node: main/preload only.' },
        ],
      }],
    },
  },
);
