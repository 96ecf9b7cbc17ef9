import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_GRANT_SECONDS, newGrant, parseGrantRequest } from './grant.ts';
import { SupportError } from './support-error.ts';
import { certificateIdentity, normalizePublicKey } from './ssh-wire.ts';

// ssh-keygen -t ed25519 (a public key is not a secret; fixed so the test needs no binary)
const CA = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPJr2btof2kSV2qbiJYGej3i5JmlfyjVBJI4of7H4PKD';
// ssh-keygen -s <ca> -I 'alice@support' -n p -z 42 of an ed25519 key
const CERT =
  'ssh-ed25519-cert-v01@openssh.com AAAAIHNzaC1lZDI1NTE5LWNlcnQtdjAxQG9wZW5zc2guY29tAAAAIA389rrrsufCbpq1z3MVUq4rRKEtFF3SvRv66XfSWGHwAAAAIE5f93gcZ6z6aLuXhgzY/YfRD9KnZwt7aB5Ph3nZDF8zAAAAAAAAACoAAAABAAAADWFsaWNlQHN1cHBvcnQAAAAFAAAAAXAAAAAAAAAAAP//////////AAAAAAAAAIIAAAAVcGVybWl0LVgxMS1mb3J3YXJkaW5nAAAAAAAAABdwZXJtaXQtYWdlbnQtZm9yd2FyZGluZwAAAAAAAAAWcGVybWl0LXBvcnQtZm9yd2FyZGluZwAAAAAAAAAKcGVybWl0LXB0eQAAAAAAAAAOcGVybWl0LXVzZXItcmMAAAAAAAAAAAAAADMAAAALc3NoLWVkMjU1MTkAAAAg8mvZu2h/aRJXapuIlgZ6PeLkmaV/KNUEkjih/sfg8oMAAABTAAAAC3NzaC1lZDI1NTE5AAAAQLeoewQ9s7oil2R7lwHYVEtQVC0R74tJe+7DJpKqreh64o9EMfTMXCSrv2cO6FJ3QmcrJqkWfMnELffKUT5edgY=';

const invalid = (body: unknown) =>
  assert.throws(
    () => parseGrantRequest(body),
    (err: unknown) => err instanceof SupportError && err.code === 'invalid_request',
  );

test('a grant request: defaults to 24 h, keeps the key without its comment, normalises addresses', () => {
  assert.deepEqual(
    parseGrantRequest({
      caPublicKey: `${CA} support-ca@claw`,
      sourceAddresses: ['2001:db8::/32', '192.0.2.7'],
    }),
    {
      caPublicKey: CA,
      durationSeconds: MAX_GRANT_SECONDS,
      admin: false,
      sourceAddresses: ['2001:db8::/32', '192.0.2.7'],
    },
  );
});

test('a grant request with anything that could widen the grant or inject into sshd files is refused', () => {
  invalid(undefined);
  invalid({ caPublicKey: CA, durationSeconds: MAX_GRANT_SECONDS + 1 });
  invalid({ caPublicKey: CA, durationSeconds: 1.5 });
  invalid({ caPublicKey: CA, admin: 1 });
  invalid({ caPublicKey: `${CA}\n${CA}` });
  invalid({ caPublicKey: `cert-authority ${CA}` });
  invalid({ caPublicKey: CERT }); // a certificate is not a CA key
  invalid({ caPublicKey: CA.replace('ssh-ed25519 ', 'ssh-rsa ') }); // the blob names another type
  invalid({ caPublicKey: CA, sourceAddresses: ['10.0.0.0/8"'] });
  invalid({ caPublicKey: CA, sourceAddresses: ['10.0.0.0/+8'] });
  invalid({ caPublicKey: CA, sourceAddresses: ['*'] });
  invalid({ caPublicKey: CA, sourceAddresses: Array(17).fill('192.0.2.1') });
});

test('each grant gets a new id and principal; notAfter is a whole second', () => {
  const request = parseGrantRequest({ caPublicKey: CA, durationSeconds: 10 });
  const a = newGrant(request, 1_000_500);
  const b = newGrant(request, 1_000_500);
  assert.notEqual(a.principal, b.principal);
  assert.notEqual(a.grantId, b.grantId);
  assert.match(a.principal, /^claw-support-[0-9a-f]{24}$/);
  assert.equal(a.notAfter, 1_010_000);
});

test('the key ID and serial of a certificate are read from its blob', () => {
  assert.equal(normalizePublicKey(CA), CA);
  assert.deepEqual(certificateIdentity(CERT), { keyId: 'alice@support', serial: '42' });
  assert.equal(certificateIdentity(CA), undefined);
});
