import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts', 'test/interop/**/*.test.ts'],
    // Tests spawn the built `satdesk` and drive the built console: rebuild each first when its sources are newer.
    globalSetup: ['test/build-cli.ts', 'test/e2e/build-renderer.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
