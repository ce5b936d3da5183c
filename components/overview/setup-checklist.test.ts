import { describe, expect, it } from 'vitest';
import type { SetupState } from '@/lib/dal/overview';
import { connectionStep, directoryStep, domainStep, roleMappingStep } from './setup-checklist';

const state = (over: Partial<SetupState> = {}): SetupState => ({
  domains: [],
  connections: [],
  directories: [],
  applications: { configured: 0, signInsLast30Days: 0 },
  recentSignIns: [],
  ...over,
});
const conn = (status: 'draft' | 'tested' | 'active', verdict: 'passed' | 'problems' | 'failed' | null) => ({ id: `conn_${status}`, label: 'Okta', status, verdict });

describe('the overview checklist tells the real state', () => {
  it.each([
    ['no connection', [], 'todo', 'No connection yet', '/t/acme/connections/new'],
    ['a draft', [conn('draft', null)], 'todo', 'is a draft', '/t/acme/connections/conn_draft'],
    ['tested, not active', [conn('tested', 'passed')], 'todo', 'nobody can sign in through it until it is activated', '/t/acme/connections/conn_tested'],
    ['active, test passed', [conn('active', 'passed')], 'done', 'is active and its last test passed', '/t/acme/connections/conn_active'],
    ['active, test passed with problems', [conn('active', 'problems')], 'attention', 'passed with problems', '/t/acme/connections/conn_active'],
    ['active, last test failed', [conn('active', 'failed')], 'attention', 'last test failed', '/t/acme/connections/conn_active'],
  ] as const)('connection: %s', (_, connections, st, text, href) => {
    const step = connectionStep(state({ connections: [...connections] }), '/t/acme');
    expect(step.state).toBe(st);
    expect(step.detail).toContain(text);
    expect(step.action?.href).toBe(href);
  });

  it('a directory is done only once it has received a push; required with SCIM provisioning, optional otherwise', () => {
    expect(directoryStep(state(), '/t/acme', 'jit').state).toBe('optional');
    expect(directoryStep(state(), '/t/acme', 'scim').state).toBe('todo');
    const quiet = state({ directories: [{ id: 'dir_1', name: 'Okta', users: 0, lastRequestAt: null }] });
    expect(directoryStep(quiet, '/t/acme', 'scim').state).toBe('attention');
    const busy = state({ directories: [{ id: 'dir_1', name: 'Okta', users: 3, lastRequestAt: new Date('2026-12-01T10:00:00Z') }] });
    expect(directoryStep(busy, '/t/acme', 'scim')).toMatchObject({ state: 'done', detail: 'Okta: 3 users, last push 2026-12-01 10:00 UTC.' });
  });

  it('domains: verified is done, waiting for DNS needs attention', () => {
    expect(domainStep(state({ domains: [{ domain: 'acme.com', trusted: true }] }), '/t/acme').state).toBe('done');
    expect(domainStep(state({ domains: [{ domain: 'acme.com', trusted: false }] }), '/t/acme')).toMatchObject({ state: 'attention' });
    expect(domainStep(state(), '/t/acme').state).toBe('todo');
  });

  it('role mappings: one rule or a default role is done', () => {
    expect(roleMappingStep({ rules: [], defaultRole: null }, '/t/acme').state).toBe('todo');
    expect(roleMappingStep({ rules: [], defaultRole: 'member' }, '/t/acme').detail).toBe('0 rules; default role member.');
  });
});
