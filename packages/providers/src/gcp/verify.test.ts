import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expectedAudience, verifyGcpWorkloadIdentity } from './verify.ts';

const good = {
  projectId: 'claw-demo-123',
  projectNumber: '123456789012',
  poolId: 'claw-cloud',
  providerId: 'claw-cloud-oidc',
  serviceAccountEmail: 'claw-provisioner@claw-demo-123.iam.gserviceaccount.com',
  audience: '',
};
good.audience = expectedAudience(good);

test('a well-formed Workload Identity Federation config is accepted, as object or JSON', () => {
  for (const input of [good, JSON.stringify(good)]) {
    const result = verifyGcpWorkloadIdentity(input);
    assert.ok(result.ok);
    assert.equal(result.account.id, 'claw-demo-123');
  }
});

test('a service-account key is refused and nothing of it is echoed', () => {
  const key = {
    type: 'service_account',
    project_id: 'claw-demo-123',
    private_key_id: 'keyid-canary-42',
    private_key: '-----BEGIN PRIVATE KEY-----\nMIIcanary\n-----END PRIVATE KEY-----\n',
    client_email: 'x@claw-demo-123.iam.gserviceaccount.com',
  };
  for (const input of [
    key,
    JSON.stringify(key),
    key.private_key,
    { ...good, private_key: key.private_key },
  ]) {
    const result = verifyGcpWorkloadIdentity(input);
    assert.ok(!result.ok);
    assert.match(result.reason, /service-account key/);
    assert.ok(!result.reason.includes('canary'));
  }
});

test('missing fields are named', () => {
  const { audience: _a, poolId: _p, ...rest } = good;
  const result = verifyGcpWorkloadIdentity(rest);
  assert.ok(!result.ok);
  assert.deepEqual(result.missing, ['poolId', 'audience']);
});

test('malformed ids and a mismatched audience are refused', () => {
  const cases: Array<[Partial<typeof good>, RegExp]> = [
    [{ projectId: 'Bad_Project' }, /projectId/],
    [{ projectNumber: 'claw-demo-123' }, /projectNumber/],
    [{ poolId: 'gcp-reserved' }, /poolId/],
    [{ serviceAccountEmail: 'someone@gmail.com' }, /serviceAccountEmail/],
    [{ audience: expectedAudience({ ...good, poolId: 'other-pool' }) }, /audience/],
  ];
  for (const [patch, reason] of cases) {
    const result = verifyGcpWorkloadIdentity({ ...good, ...patch });
    assert.ok(!result.ok);
    assert.match(result.reason, reason);
  }
  assert.ok(!verifyGcpWorkloadIdentity('{not json').ok);
});
