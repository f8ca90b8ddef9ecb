// @ts-check
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// The layer walls of docs/architecture.md: util → sip → media → store → core → features → api → cli, imports point
// down only, and one feature never reaches into another. Patterns match the resolved-looking import string, so
// `../../features/x/y.js` and `../features/x.js` are both caught.
const above = (...layers) => layers.map((l) => `**/${l}/**`).concat(layers.map((l) => `**/${l}.js`));
const features = readdirSync(fileURLToPath(new globalThis.URL('./src/features', import.meta.url)), {
  withFileTypes: true,
})
  .filter((e) => e.isDirectory())
  .map((e) => e.name);

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'use node:crypto' },
      ],
    },
  },
  // The browser apps (web/): browser globals, and no imports from the PBX's own code (they speak only HTTP).
  {
    files: ['web/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/src/**'], message: 'the browser app talks to the PBX over HTTP only' }] },
      ],
    },
  },
  {
    files: ['src/sip/**/*.ts', 'src/media/**/*.ts', 'src/util/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['**/core/**', '**/features/**', '**/api/**', '**/store/**', '**/cli/**'] },
      ],
    },
  },
  {
    files: ['src/store/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: above('core', 'features', 'api', 'cli'), message: 'store sits below core' }] },
      ],
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: above('features', 'api', 'cli'), message: 'core never imports features, api or cli' },
          ],
        },
      ],
    },
  },
  // Each feature may import its own folder and the layers below; never another feature, api or cli.
  ...features.map((name) => ({
    files: [`src/features/${name}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                ...above('api', 'cli'),
                ...features
                  .filter((f) => f !== name)
                  .flatMap((f) => [`**/features/${f}/**`, `../${f}/**`, `../../${f}/**`, `../../../${f}/**`]),
              ],
              message: `features/${name} may import only its own folder and core, sip, media, store, util`,
            },
          ],
        },
      ],
    },
  })),
);
