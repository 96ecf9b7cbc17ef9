import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `npm run dev` forwards API calls to a control plane already running on CLAW_DEV_API (default :8080).
// Start that server with CLAW_ALLOWED_ORIGINS=http://localhost:5173 so its CSRF check accepts this origin.
const devApi = process.env.CLAW_DEV_API ?? 'http://127.0.0.1:8080';

export default defineConfig(({ mode }) => ({
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Production bundles ship without source maps; `vite build --mode development` keeps them for debugging.
    sourcemap: mode !== 'production',
  },
  server: {
    proxy: { '/api': devApi, '/healthz': devApi },
  },
}));
