import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const restrict = (files, patterns) => ({
  files,
  rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns }] },
});

// The layers keep one job each; these rules keep the picture in docs/architecture.md true.
const medooze = {
  group: ['medooze-media-server', 'semantic-sdp'],
  message: 'Only src/media talks to medooze.',
};
const prisma = {
  group: ['@prisma/*', 'pg', '@electric-sql/*'],
  message: 'Only src/persistence talks to the database.',
};
const graphql = {
  group: ['graphql', 'graphql-*', 'type-graphql', '@apollo/*', 'ws', 'express', '@as-integrations/*'],
  message: 'Only src/api speaks GraphQL and HTTP.',
};

const redis = {
  group: ['ioredis', 'rate-limiter-flexible'],
  message: 'Only src/cluster talks to Redis.',
};

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'data/', 'bench/results/', 'coverage/', 'client/**/*.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { ecmaVersion: 2023, sourceType: 'module' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['warn', 'error'] }],
    },
  },
  restrict(['src/conference/**/*.ts'], [medooze, prisma, graphql, redis]),
  restrict(['src/media/**/*.ts'], [prisma, graphql, redis]),
  restrict(['src/persistence/**/*.ts'], [medooze, graphql, redis]),
  restrict(['src/api/**/*.ts'], [medooze, prisma, redis]),
  restrict(['src/shared/**/*.ts'], [medooze, prisma, graphql, redis]),
  restrict(['src/access/**/*.ts'], [medooze, prisma, graphql, redis]),
  restrict(['src/webhooks/**/*.ts'], [medooze, prisma, graphql, redis]),
  restrict(['src/cluster/**/*.ts'], [medooze, prisma, graphql]),
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: {
      globals: {
        require: 'readonly',
        module: 'writable',
        process: 'readonly',
        console: 'readonly',
        __dirname: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off', 'no-console': 'off' },
  },
  { files: ['scripts/**', 'test/**', 'client/**'], rules: { 'no-console': 'off' } },
);
