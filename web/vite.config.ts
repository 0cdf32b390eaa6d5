/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The server's CSP forbids inline scripts and injected <style>: Vite's build emits only
// external hashed files, and the module-preload polyfill (an inline script) is turned off.
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    modulePreload: { polyfill: false },
    cssCodeSplit: true,
    sourcemap: false,
    chunkSizeWarningLimit: 700,
  },
  server: {
    port: 18150,
    proxy: { '/api': process.env.COHORT_URL ?? 'http://127.0.0.1:18100' },
  },
  test: {
    environment: 'jsdom',
    globals: true,
    setupFiles: ['src/test/setup.ts'],
    css: false,
    // Two cores shared with the C++ build: user-event flows can take seconds.
    testTimeout: 20_000,
  },
});
