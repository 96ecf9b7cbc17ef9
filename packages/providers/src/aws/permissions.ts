// The IAM policies a customer's role carries, built from the one table of EC2 actions provisioning makes.
// Mutations are limited to resources tagged ManagedBy=claw-cloud; tags can only be written while creating
// (ec2:CreateAction); Describe* has no resource-level permissions on AWS, so it is "*".
// References: EC2 "Actions, resources, and condition keys" (Service Authorization Reference) and
// "Grant permission to tag Amazon EC2 resources during creation" (EC2 User Guide).

export const MANAGED_BY_TAG = { key: 'ManagedBy', value: 'claw-cloud' } as const;

/** How an action is scoped in the permission policy. */
export type ActionScope =
  /** Describe*: no resource-level permissions exist, Resource "*". */
  | 'read'
  /** Creates resources: allowed only with our tag in the request (aws:RequestTag). */
  | 'create'
  /** Acts on an existing resource: allowed only if it carries our tag (aws:ResourceTag). */
  | 'tagged'
  /** ec2:CreateTags, only as part of RunInstances/CreateSecurityGroup (ec2:CreateAction). */
  | 'tag-on-create';

export const ec2Actions = [
  { action: 'ec2:DescribeRegions', scope: 'read', purpose: 'offer regions' },
  { action: 'ec2:DescribeInstanceTypes', scope: 'read', purpose: 'offer instance sizes' },
  { action: 'ec2:DescribeImages', scope: 'read', purpose: 'find the Ubuntu image to boot' },
  { action: 'ec2:DescribeVpcs', scope: 'read', purpose: 'find the default VPC' },
  { action: 'ec2:DescribeSubnets', scope: 'read', purpose: 'find a public subnet' },
  { action: 'ec2:DescribeSecurityGroups', scope: 'read', purpose: 'find our security group' },
  { action: 'ec2:DescribeInstances', scope: 'read', purpose: 'follow our instances, find them by tag' },
  { action: 'ec2:RunInstances', scope: 'create', purpose: 'create the assistant instance, tagged' },
  { action: 'ec2:CreateSecurityGroup', scope: 'create', purpose: 'create its firewall, tagged' },
  { action: 'ec2:CreateTags', scope: 'tag-on-create', purpose: 'tag what we create, at creation only' },
  { action: 'ec2:AuthorizeSecurityGroupIngress', scope: 'tagged', purpose: 'open the agent port' },
  { action: 'ec2:DeleteSecurityGroup', scope: 'tagged', purpose: 'remove our firewall on destroy' },
  { action: 'ec2:StartInstances', scope: 'tagged', purpose: 'power on' },
  { action: 'ec2:StopInstances', scope: 'tagged', purpose: 'power off' },
  { action: 'ec2:RebootInstances', scope: 'tagged', purpose: 'reboot' },
  { action: 'ec2:TerminateInstances', scope: 'tagged', purpose: 'destroy one of our instances' },
] as const satisfies ReadonlyArray<{ action: `ec2:${string}`; scope: ActionScope; purpose: string }>;

export type Ec2Action = (typeof ec2Actions)[number]['action'];

export type PolicyStatement = {
  Sid: string;
  Effect: 'Allow';
  Action: string | string[];
  Resource?: string | string[];
  Principal?: { AWS: string };
  Condition?: Record<string, Record<string, unknown>>;
};
export type PolicyDocument = { Version: '2012-10-17'; Statement: PolicyStatement[] };

const arn = (resource: string): string => `arn:aws:ec2:*:*:${resource}`;
const IMAGE_ARN = 'arn:aws:ec2:*::image/*'; // AMIs are owned by their publisher: no account in the ARN.
const TAG = `${MANAGED_BY_TAG.key}`;
const requestTagged = { StringEquals: { [`aws:RequestTag/${TAG}`]: MANAGED_BY_TAG.value } };
const resourceTagged = { StringEquals: { [`aws:ResourceTag/${TAG}`]: MANAGED_BY_TAG.value } };

const actionsOf = (scope: ActionScope): string[] =>
  ec2Actions.filter((a) => a.scope === scope).map((a) => a.action);

/** The permission policy of the customer's role: exactly the actions in `ec2Actions`, scoped as above. */
export function permissionPolicy(): PolicyDocument {
  const tagged = ec2Actions.filter((a) => a.scope === 'tagged');
  return {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'Describe', Effect: 'Allow', Action: actionsOf('read'), Resource: '*' },
      // RunInstances touches several resources: what it creates must carry our tag in the request...
      {
        Sid: 'LaunchOnlyTagged',
        Effect: 'Allow',
        Action: 'ec2:RunInstances',
        Resource: [arn('instance/*'), arn('volume/*')],
        Condition: requestTagged,
      },
      // ...what it only uses may be anyone's (public AMI, default subnet, the ENI it creates)...
      {
        Sid: 'LaunchUsing',
        Effect: 'Allow',
        Action: 'ec2:RunInstances',
        Resource: [IMAGE_ARN, arn('subnet/*'), arn('network-interface/*')],
      },
      // ...except the security group, which must be ours.
      {
        Sid: 'LaunchIntoOurSecurityGroup',
        Effect: 'Allow',
        Action: 'ec2:RunInstances',
        Resource: arn('security-group/*'),
        Condition: resourceTagged,
      },
      {
        Sid: 'CreateOnlyTaggedSecurityGroup',
        Effect: 'Allow',
        Action: 'ec2:CreateSecurityGroup',
        Resource: arn('security-group/*'),
        Condition: requestTagged,
      },
      {
        Sid: 'CreateSecurityGroupInVpc',
        Effect: 'Allow',
        Action: 'ec2:CreateSecurityGroup',
        Resource: arn('vpc/*'),
      },
      {
        Sid: 'TagOnlyWhileCreating',
        Effect: 'Allow',
        Action: actionsOf('tag-on-create'),
        Resource: [arn('instance/*'), arn('volume/*'), arn('security-group/*')],
        Condition: { StringEquals: { 'ec2:CreateAction': ['RunInstances', 'CreateSecurityGroup'] } },
      },
      {
        Sid: 'ManageOnlyOurInstances',
        Effect: 'Allow',
        Action: tagged.filter((a) => a.action.endsWith('Instances')).map((a) => a.action),
        Resource: arn('instance/*'),
        Condition: resourceTagged,
      },
      {
        Sid: 'ManageOnlyOurSecurityGroups',
        Effect: 'Allow',
        Action: tagged.filter((a) => a.action.includes('SecurityGroup')).map((a) => a.action),
        Resource: arn('security-group/*'),
        Condition: resourceTagged,
      },
    ],
  };
}

/**
 * The trust policy: only our platform principal may assume the role, and only when it presents this
 * connection's ExternalId (sts:ExternalId, IAM User Guide "How to use an external ID").
 */
export function trustPolicy(input: {
  platformPrincipalArn: string;
  /** The connection's ExternalId, or a CloudFormation `{ Ref }` to the template's parameter. */
  externalId: string | { Ref: string };
}): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'ClawCloudAssumesWithExternalId',
        Effect: 'Allow',
        Principal: { AWS: input.platformPrincipalArn },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'sts:ExternalId': input.externalId } },
      },
    ],
  };
}
