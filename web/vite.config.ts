import { defineConfig } from 'vite';

export default defineConfig({
  build: {
    outDir: 'dist', emptyOutDir: true, sourcemap: false,
    // api-docs.html: the API reference the server shows at /api/docs (its own bundle: the app never loads it)
    rolldownOptions: { input: { main: 'index.html', 'api-docs': 'api-docs.html' } },
  },
  server: { proxy: { '/api': 'http://127.0.0.1:8080', '/collab': { target: 'ws://127.0.0.1:8080', ws: true },
    '/socket.io': { target: 'ws://127.0.0.1:8080', ws: true } } },
});
