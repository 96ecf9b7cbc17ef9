// moto 5.2.1 in server mode: stateful EC2/STS/IAM on 127.0.0.1 (shared/notes/cloud-test-peers.md §1).
// One endpoint serves every service; moto routes by the SigV4 credential scope.
import { locateMoto } from './availability.ts';
import { answersHttp, spawnPeer, waitUntilReady, withFreePort } from './process.ts';

export type MotoOptions = {
  python?: string;
  /** Cold start took 4.1 s here; the default leaves room for a loaded machine. */
  readyTimeoutMs?: number;
  /**
   * The public address every instance gets (moto draws a random 54.214.x.y, which a test must never
   * connect to); a workflow test points it at a local agent, like the DigitalOcean and Hetzner fakes.
   */
  publicIpv4?: string;
  /**
   * Sets every instance's LaunchTime back by this much, as the DigitalOcean and Hetzner fakes stamp every
   * VM hours old: the reconciler never deletes a VM younger than its grace period, so a VM a test plants
   * must look old enough to judge. Order is kept (each launch moves back by the same amount).
   */
  launchAgeMs?: number;
};

export type MotoPeer = {
  url: string;
  /** Wipes all state (every account, every service). */
  reset(): Promise<void>;
  /**
   * IAM enforcement from now on: SigV4 against real IAM keys and identity policies at action level. Set up
   * IAM users/roles/policies BEFORE calling this. Resource ARNs and most conditions are NOT evaluated.
   */
  enableIamAuth(): Promise<void>;
  disableIamAuth(): Promise<void>;
  logTail(): string;
  stop(): Promise<void>;
};

// Stricter EC2 validation: unknown instance types, AMIs and key pairs are rejected like on AWS (notes §1).
const STRICT_EC2_ENV = {
  MOTO_EC2_ENABLE_INSTANCE_TYPE_VALIDATION: '1',
  MOTO_ENABLE_AMI_VALIDATION: '1',
  MOTO_ENABLE_KEYPAIR_VALIDATION: '1',
};

// moto 5.2.1 draws every auto-assigned public address (on launch and again on each start, as EC2 does) from
// `random_public_ip` in one place, elastic_network_interfaces.py, and stamps LaunchTime once, in
// `Instance.__init__` (instances.py); the first argument (JSON settings) replaces either.
const patchedMoto = [
  'import datetime, json, sys',
  'import moto.ec2.models.elastic_network_interfaces as eni',
  'import moto.ec2.models.instances as instances',
  'from moto.server import main',
  'settings = json.loads(sys.argv.pop(1))',
  "if 'publicIpv4' in settings:",
  "    assert callable(eni.random_public_ip), 'moto no longer assigns addresses here'",
  "    eni.random_public_ip = lambda: settings['publicIpv4']",
  "if 'launchAgeMs' in settings:",
  '    launch = instances.Instance.__init__',
  '    def launch_backdated(self, *args, **kwargs):',
  '        launch(self, *args, **kwargs)',
  "        self.launch_time -= datetime.timedelta(milliseconds=settings['launchAgeMs'])",
  '    instances.Instance.__init__ = launch_backdated',
  'main(sys.argv[1:])',
].join('\n');

export async function startMoto(options: MotoOptions = {}): Promise<MotoPeer> {
  const python = options.python ?? 'python3';
  const moto = locateMoto(python);
  if (!moto.ok) throw new Error(moto.reason);

  return withFreePort(async (port) => {
    const server = ['-H', '127.0.0.1', '-p', String(port)];
    const { publicIpv4, launchAgeMs } = options;
    const args =
      publicIpv4 !== undefined || launchAgeMs !== undefined
        ? ['-c', patchedMoto, JSON.stringify({ publicIpv4, launchAgeMs }), ...server]
        : ['-m', 'moto.server', ...server];
    const peer = spawnPeer(python, args, { env: { ...process.env, ...STRICT_EC2_ENV } });
    const url = `http://127.0.0.1:${port}`;
    await waitUntilReady({
      name: 'moto',
      peer,
      probe: () => answersHttp(`${url}/moto-api/`),
      timeoutMs: options.readyTimeoutMs ?? 60_000,
    });

    const admin = async (path: string, body?: string): Promise<void> => {
      const res = await fetch(`${url}${path}`, { method: 'POST', body, signal: AbortSignal.timeout(10_000) });
      const text = await res.text();
      if (!res.ok) throw new Error(`moto ${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
    };
    return {
      url,
      reset: () => admin('/moto-api/reset'),
      // `reset-auth` takes the number of requests still allowed without auth: 0 = enforce now, inf = off.
      enableIamAuth: () => admin('/moto-api/reset-auth', '0'),
      disableIamAuth: () => admin('/moto-api/reset-auth', 'inf'),
      logTail: peer.logTail,
      stop: peer.stop,
    };
  });
}
