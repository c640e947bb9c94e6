import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The dashboard builds to web/dist, which `warden serve` serves. No source maps or external assets:
// the server's CSP allows only its own origin.
export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  plugins: [react()],
  logLevel: 'warn',
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, target: 'es2022', chunkSizeWarningLimit: 800 },
});
