import { defineConfig, externalizeDepsPlugin } from 'electron-vite';
import react from '@vitejs/plugin-react';
import { resolve } from 'node:path';
import { cspMeta } from './scripts/vite-csp.ts';

export default defineConfig({
  main: {
    plugins: [externalizeDepsPlugin()],
    // The CSV exports' worker thread is built beside index.js, which says where it is (src/node/books/export-thread.ts).
    build: { rollupOptions: { input: { index: resolve('src/main/index.ts'), 'books-export-worker': resolve('src/node/books/export-worker.ts') } } },
  },
  preload: {
    plugins: [externalizeDepsPlugin({ exclude: ['zod'] })],
    // A sandboxed preload cannot load ES modules: bundle it as one CommonJS file (zod included).
    build: {
      rollupOptions: {
        input: { index: resolve('src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: 'src/renderer',
    plugins: [react(), cspMeta()],
    build: { outDir: resolve('out/renderer'), rollupOptions: { input: { index: resolve('src/renderer/index.html') } } },
  },
});
