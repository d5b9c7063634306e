// ESLint flat config, the SDK's (sdk/eslint.config.mjs) minus TypeScript: ESLint's recommended
// rules over the handler, its build script and its tests, all ES modules on Node.js 20.
import js from '@eslint/js';
import globals from 'globals';

export default [
  { ignores: ['node_modules/', 'build/'] },
  js.configs.recommended,
  { languageOptions: { globals: globals.node } },
];
