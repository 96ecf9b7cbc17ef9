// Ends every support session. sshd checks a certificate only at login, so an open session would outlive its
// grant: at expiry and revoke the agent SIGKILLs every process of the support account, everything they
// started (an administrator's `sudo` shell runs as root but is their descendant), and everything in the same
// logind session scope (which catches a daemonised root process too), then re-scans until none is left.
// Processes in other pid namespaces (containers on the same host, whose uids can collide) are never touched.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { SupportError } from './support-error.ts';

const run = promisify(execFile);
const DEADLINE_MS = 10_000;
const RESCAN_MS = 20;

/** The account's uid, or undefined when it does not exist. */
export async function uidOf(user: string): Promise<number | undefined> {
  try {
    const { stdout } = await run('id', ['-u', '--', user], { timeout: 5_000 });
    return Number(stdout.trim());
  } catch {
    return undefined;
  }
}

type Proc = { pid: number; ppid: number; uids: number[]; cgroups: string[] };

function readProc(pid: number): Proc | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)?.[1] ?? '';
    // NSpid lists the pid in our namespace and in each nested one: one entry means it lives in ours. Unlike
    // reading /proc/<pid>/ns/pid, this needs no ptrace right over another user's process.
    if (field('NSpid').split(/\s+/).length !== 1) return undefined;
    if (field('State').startsWith('Z')) return undefined; // already dead, waiting for its parent
    return {
      pid,
      ppid: Number(field('PPid')),
      // real, effective, saved, filesystem (proc(5))
      uids: field('Uid').split(/\s+/).map(Number),
      cgroups: fs
        .readFileSync(`/proc/${pid}/cgroup`, 'utf8')
        .split('\n')
        .map((line) => line.slice(line.indexOf(':', line.indexOf(':') + 1) + 1))
        .filter(Boolean),
    };
  } catch {
    return undefined; // exited while we looked, or not ours to read
  }
}

/** The support account's processes, their descendants and their logind session scopes. */
export function sessionProcesses(uid: number): number[] {
  const procs = fs
    .readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map((name) => readProc(Number(name)))
    .filter((proc): proc is Proc => proc !== undefined && proc.pid !== 1 && proc.pid !== process.pid);
  const scope = new RegExp(`/user-${uid}\\.slice/session-[^/]+\\.scope$`);
  const targets = new Set(procs.filter((p) => p.uids[0] === uid || p.uids[1] === uid).map((p) => p.pid));
  const scopes = new Set(
    procs.filter((p) => targets.has(p.pid)).flatMap((p) => p.cgroups.filter((c) => scope.test(c))),
  );
  for (const p of procs) if (p.cgroups.some((c) => scopes.has(c))) targets.add(p.pid);
  // Descendants, until nothing new is found (bounded by the number of processes).
  for (let grew = true, rounds = 0; grew && rounds < procs.length; rounds += 1) {
    grew = false;
    for (const p of procs) {
      if (!targets.has(p.pid) && targets.has(p.ppid)) {
        targets.add(p.pid);
        grew = true;
      }
    }
  }
  return [...targets];
}

/** SIGKILLs the support sessions and returns once none is left; throws if some survive the deadline. */
export async function killSessions(user: string): Promise<{ killed: number; ms: number }> {
  const started = Date.now();
  const uid = await uidOf(user);
  if (uid === undefined || uid === 0) return { killed: 0, ms: Date.now() - started };
  const killed = new Set<number>();
  while (Date.now() - started < DEADLINE_MS) {
    const targets = sessionProcesses(uid);
    if (targets.length === 0) return { killed: killed.size, ms: Date.now() - started };
    for (const pid of targets) {
      try {
        process.kill(pid, 'SIGKILL');
        killed.add(pid);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
      }
    }
    await sleep(RESCAN_MS);
  }
  throw new SupportError('sessions_survived');
}
