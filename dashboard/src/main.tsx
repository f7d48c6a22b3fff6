import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { E2A } from '@e2a/sdk';
import { App } from './App.js';

const client = new E2A({ baseUrl: location.origin, session: true });
const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');
createRoot(root).render(
  <StrictMode>
    <App client={client} />
  </StrictMode>,
);
