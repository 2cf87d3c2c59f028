import baseConfig from '../../eslint.config.mjs';

// Codecs are pure: bytes in, values or typed errors out. Anything that does I/O is banned here.
const io = ['net', 'tls', 'dgram', 'fs', 'fs/promises', 'http', 'https', 'http2', 'child_process', 'worker_threads', 'cluster', 'dns'];

export default [
  ...baseConfig,
  {
    // The codecs themselves; specs and the fuzz runner may read their corpus from disk.
    files: ['src/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...io, ...io.map((m) => `node:${m}`)].map((name) => ({ name, message: 'codecs must not do I/O' })),
          patterns: [
            { group: ['kafkajs', 'ioredis', '@clickhouse/*', 'thrift', '@grpc/*', '@nestjs/*', 'pino'], message: 'codecs must not depend on I/O or framework packages' },
          ],
        },
      ],
    },
  },
];
