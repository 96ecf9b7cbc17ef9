// An instance's lifecycle as the dashboard shows it. The statuses and the rules about which action fits which
// status are the server's (apps/server/src/provisioning: instance-status.ts and `actionable`); kept apart
// from the components so they can be tested without a DOM.
import type { InstanceAction } from '../api.ts';

/** The stream of progress ends at these: nothing changes until someone acts. */
export const settledStatuses: ReadonlySet<string> = new Set(['ready', 'failed', 'stopped', 'destroyed']);

const labels: Record<string, string> = {
  requested: 'Requested',
  creating: 'Creating',
  booting: 'Booting',
  registering: 'Registering',
  ready: 'Ready',
  failed: 'Failed',
  stopping: 'Stopping',
  stopped: 'Stopped',
  starting: 'Starting',
  rebooting: 'Rebooting',
  destroying: 'Destroying',
  destroyed: 'Destroyed',
  error: 'Error',
};

export function statusLabel(status: string): string {
  return labels[status] ?? status;
}

const explanations: Record<string, string> = {
  requested: 'Waiting for the deployment to start.',
  creating: 'Creating the server and its firewall in your cloud account.',
  booting: 'The server is starting up and installing OpenClaw and the Claw agent.',
  registering: 'Waiting for the agent on your server to call back and register.',
  ready: 'Your assistant is ready.',
  stopping: 'Shutting the server down.',
  stopped: 'The server is off. Your cloud provider may still bill for a stopped server.',
  starting: 'Powering the server on.',
  rebooting: 'Restarting the server.',
  destroying: 'Deleting the server and its firewall from your cloud account.',
  destroyed: 'The server and its firewall are deleted from your cloud account.',
};

export function statusExplanation(status: string): string | null {
  return explanations[status] ?? null;
}

/** The steps of each piece of work, in order; the last one is where it settles. */
export const flows = {
  deploy: ['requested', 'creating', 'booting', 'registering', 'ready'],
  stop: ['stopping', 'stopped'],
  start: ['starting', 'ready'],
  reboot: ['rebooting', 'ready'],
  destroy: ['destroying', 'destroyed'],
} as const satisfies Record<string, readonly string[]>;

export type Flow = keyof typeof flows;

const flowOfStatus: Record<string, Flow> = {
  requested: 'deploy',
  creating: 'deploy',
  booting: 'deploy',
  registering: 'deploy',
  stopping: 'stop',
  stopped: 'stop',
  starting: 'start',
  rebooting: 'reboot',
  destroying: 'destroy',
  destroyed: 'destroy',
};

export type StepState = 'done' | 'current' | 'failed' | 'todo';
/** `current` marks where the instance is; a flow that reached its last step shows it done. */
export type Step = { status: string; state: StepState; current: boolean };

/**
 * The steps to show for the statuses seen so far (`trail`, oldest first), or null when there is no work to
 * show (a ready instance nobody watched getting there). A failure marks the step it happened in, which is
 * the last status seen before it; an instance first seen failed shows no steps, only the reason.
 */
export function stepsFor(trail: readonly string[]): { flow: Flow; steps: Step[] } | null {
  const flow = trail
    .toReversed()
    .map((status) => flowOfStatus[status])
    .find((found) => found !== undefined);
  if (!flow) return null;
  const order: readonly string[] = flows[flow];
  const last = trail.at(-1) ?? '';
  const failed = last === 'failed';
  const reached = failed ? trail.findLast((status) => order.includes(status)) : last;
  const at = order.indexOf(reached ?? '');
  if (at < 0) return null;
  const settled = at === order.length - 1;
  const steps = order.map((status, index): Step => {
    if (index < at) return { status, state: 'done', current: false };
    if (index > at) return { status, state: 'todo', current: false };
    return { status, state: failed ? 'failed' : settled ? 'done' : 'current', current: true };
  });
  return { flow, steps };
}

/** Which actions the server accepts in which status (provisioning-service.ts, `actionable`). */
const actionable: Record<InstanceAction, readonly string[]> = {
  stop: ['ready'],
  start: ['stopped'],
  reboot: ['ready'],
  destroy: ['ready', 'failed', 'stopped', 'registering', 'booting', 'creating', 'requested', 'destroying'],
};

export function canAct(action: InstanceAction, status: string): boolean {
  return actionable[action].includes(status);
}
