import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import util from 'node:util';
import { locateMoto } from '../../../testing/src/cloud-peers/index.ts';
import { cloudFormationQuickCreateUrl, cloudFormationTemplate } from './cloudformation.ts';
import { generateExternalId, isExternalId } from './external-id.ts';
import type { PolicyStatement } from './permissions.ts';
import { ec2Actions, permissionPolicy, trustPolicy } from './permissions.ts';

const actionsOf = (s: PolicyStatement): string[] => [s.Action].flat();
const statements = permissionPolicy().Statement;

test('the permission policy grants exactly the actions in the table, no wildcard actions', () => {
  const granted = new Set(statements.flatMap(actionsOf));
  assert.deepEqual([...granted].sort(), ec2Actions.map((a) => a.action).sort());
  for (const action of granted) assert.ok(!action.includes('*'), action);
});

test('Resource "*" only for Describe*, which has no resource-level permissions', () => {
  for (const s of statements) {
    if ([s.Resource].flat().includes('*'))
      assert.ok(
        actionsOf(s).every((a) => a.startsWith('ec2:Describe')),
        s.Sid,
      );
  }
});

test('every mutating action on an existing resource requires our tag on it', () => {
  const tagged = ec2Actions.filter((a) => a.scope === 'tagged').map((a) => a.action);
  for (const action of tagged) {
    const grants = statements.filter((s) => actionsOf(s).includes(action));
    assert.ok(grants.length > 0, action);
    for (const s of grants) {
      assert.deepEqual(s.Condition, { StringEquals: { 'aws:ResourceTag/ManagedBy': 'claw-cloud' } }, action);
    }
  }
});

test('what we create must carry our tag in the request; only public inputs are unconditioned', () => {
  for (const s of statements.filter((s) => actionsOf(s).includes('ec2:RunInstances'))) {
    const resources = [s.Resource].flat();
    if (resources.some((r) => /instance\/|volume\//.test(String(r)))) {
      assert.deepEqual(s.Condition, { StringEquals: { 'aws:RequestTag/ManagedBy': 'claw-cloud' } });
    } else if (resources.some((r) => /security-group\//.test(String(r)))) {
      assert.deepEqual(s.Condition, { StringEquals: { 'aws:ResourceTag/ManagedBy': 'claw-cloud' } });
    } else {
      assert.deepEqual(resources.sort(), [
        'arn:aws:ec2:*:*:network-interface/*',
        'arn:aws:ec2:*:*:subnet/*',
        'arn:aws:ec2:*::image/*',
      ]);
    }
  }
});

test('CreateTags is allowed only as part of RunInstances or CreateSecurityGroup', () => {
  const grants = statements.filter((s) => actionsOf(s).includes('ec2:CreateTags'));
  assert.equal(grants.length, 1);
  assert.deepEqual(grants[0]?.Condition, {
    StringEquals: { 'ec2:CreateAction': ['RunInstances', 'CreateSecurityGroup'] },
  });
});

test('the trust policy lets only our principal assume the role, only with the ExternalId', () => {
  const externalId = generateExternalId();
  const policy = trustPolicy({ platformPrincipalArn: 'arn:aws:iam::123456789012:role/claw', externalId });
  assert.deepEqual(policy.Statement, [
    {
      Sid: 'ClawCloudAssumesWithExternalId',
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::123456789012:role/claw' },
      Action: 'sts:AssumeRole',
      Condition: { StringEquals: { 'sts:ExternalId': externalId } },
    },
  ]);
});

test('ExternalIds are 256-bit url-safe and never repeat', () => {
  const ids = Array.from({ length: 2000 }, generateExternalId);
  assert.equal(new Set(ids).size, ids.length);
  for (const id of ids) {
    assert.ok(isExternalId(id));
    assert.equal(Buffer.from(id, 'base64url').length, 32);
  }
  assert.equal(isExternalId(''), false);
  assert.equal(isExternalId('my-company'), false);
});

test("the quick-create link carries the template, the stack name and this connection's ExternalId", () => {
  const externalId = generateExternalId();
  const link = cloudFormationQuickCreateUrl({
    templateUrl: 'https://claw-templates.s3.amazonaws.com/role-v1.json',
    externalId,
    region: 'eu-central-1',
  });
  const url = new URL(link);
  assert.equal(url.searchParams.get('region'), 'eu-central-1');
  const [route, query] = url.hash.slice(1).split('?');
  assert.equal(route, '/stacks/quickcreate');
  const params = new URLSearchParams(query);
  assert.equal(params.get('templateURL'), 'https://claw-templates.s3.amazonaws.com/role-v1.json');
  assert.equal(params.get('param_ExternalId'), externalId);
  assert.equal(params.get('stackName'), 'claw-cloud');
  assert.throws(
    () => cloudFormationQuickCreateUrl({ templateUrl: 'http://x', externalId, region: 'x' }),
    /https/,
  );
});

test('the CloudFormation template embeds both policies and the ExternalId parameter', () => {
  const template = cloudFormationTemplate({
    platformPrincipalArn: 'arn:aws:iam::123456789012:role/claw',
  }) as {
    Resources: { ClawCloudRole: { Properties: Record<string, unknown> } };
  };
  const props = template.Resources.ClawCloudRole.Properties;
  assert.deepEqual(props.Policies, [
    { PolicyName: 'claw-cloud-provisioning', PolicyDocument: permissionPolicy() },
  ]);
  assert.deepEqual(
    props.AssumeRolePolicyDocument,
    trustPolicy({
      platformPrincipalArn: 'arn:aws:iam::123456789012:role/claw',
      externalId: { Ref: 'ExternalId' },
    }),
  );
});

// cfn-lint comes with moto in the machine image's python3 (notes §1).
const cfnLint = locateMoto();
test('cfn-lint accepts the template', { skip: cfnLint.ok ? false : cfnLint.reason }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'claw-cfn-'));
  const file = path.join(dir, 'template.json');
  try {
    fs.writeFileSync(
      file,
      JSON.stringify(cloudFormationTemplate({ platformPrincipalArn: 'arn:aws:iam::123456789012:root' })),
    );
    const run = spawnSync('python3', ['-c', 'from cfnlint.runner import main; main()', '--', file], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('docs/providers.md shows the shipped permission policy', () => {
  const doc = fs.readFileSync(new URL('../../../../docs/providers.md', import.meta.url), 'utf8');
  const blocks = [...doc.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1] ?? '') as unknown);
  assert.ok(
    blocks.some((b) => util.isDeepStrictEqual(b, permissionPolicy())),
    'permission policy in docs is stale',
  );
});
