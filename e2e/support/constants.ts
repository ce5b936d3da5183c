export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The shared portal started by playwright.config.ts. */
export const E2E = {
  port: 3210,
  baseURL: 'http://localhost:3210',
  operatorEmail: 'operator@e2e.test',
  operatorPassword: 'e2e-operator-password',
  apiKey: 'e2e-bootstrap-operator-key-0001',
};
