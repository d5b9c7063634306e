// ESLint flat config: typescript-eslint's recommended rules with type information for the
// TypeScript (src/, test/unit/), plain recommended rules for the build scripts, the browser
// check and the demo store. Formatting is Prettier's job; `npm run lint` runs tsc, ESLint, Prettier.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/'] },
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { project: ['./tsconfig.json', './test/tsconfig.json'], tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Size comes first (ARCHITECTURE.md): `a && b()` and `(x(), y())` are the SDK's idiom, not slips.
      '@typescript-eslint/no-unused-expressions': 'off',
      // Sends and IndexedDB writes are fire-and-forget by design: a page must never wait on analytics.
      '@typescript-eslint/no-floating-promises': 'off',
      '@typescript-eslint/no-misused-promises': 'off',
      // JSON.parse of our own storage and of JWT payloads, and IndexedDB cursor values, are `any`
      // at the boundary; the JSON Schema contract tests check the events themselves.
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // IndexedDB rejects with the request's DOMException (or null), which callers only log.
      '@typescript-eslint/prefer-promise-reject-errors': 'off',
      // history.pushState is saved and called back with .apply(this, args).
      '@typescript-eslint/unbound-method': 'off',
      // `let [id, last, campaign] = ...` where only some of the names are reassigned.
      'prefer-const': ['error', { destructuring: 'all' }],
    },
  },
  { files: ['src/**'], languageOptions: { globals: globals.browser } },
  {
    files: ['test/**', 'scripts/**', '*.config.*'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    // Stand-ins for fetch and sendBeacon are async because the real APIs return promises.
    rules: { '@typescript-eslint/require-await': 'off' },
  },
  {
    files: ['demo/**/*.js'],
    languageOptions: { globals: globals.browser, sourceType: 'script' },
    // A classic script's top-level `find` shadows window.find on purpose (catalogue lookup).
    rules: { 'no-redeclare': ['error', { builtinGlobals: false }] },
  },
);
