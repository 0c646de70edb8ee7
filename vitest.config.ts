import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts', 'test/interop/**/*.test.ts'],
    // The e2e tests drive the built console: build out/renderer first when src/renderer is newer.
    globalSetup: ['test/e2e/build-renderer.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
