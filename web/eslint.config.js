// ESLint for the web client (flat config): ESLint's and typescript-eslint's recommended rules, the
// type-aware ones included (they read tsconfig.json through typescript-eslint's project service).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/'] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: globals.browser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    // Chinese text is spaced with the ideographic space (U+3000), in template literals as in strings
    rules: { 'no-irregular-whitespace': ['error', { skipTemplates: true }] },
  },
  // the build's own config files run in Node and are outside tsconfig.json's "src"
  { files: ['*.js', '*.ts'], extends: [tseslint.configs.disableTypeChecked], languageOptions: { globals: globals.node } },
);
