// moto with its request recorder on (moto_api recorder: every request it serves is appended to a file we
// can download), so tests can assert on what our code sent to AWS — e.g. that it never deletes by filter.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MotoOptions, MotoPeer } from './moto.ts';
import { startMoto } from './moto.ts';

/** One recorded AWS Query API request (EC2, STS): its Action and parameters. */
export type RecordedAwsRequest = { action: string; params: Record<string, string> };

export type RecordingMotoPeer = MotoPeer & { recordedRequests(): Promise<RecordedAwsRequest[]> };

export async function startRecordingMoto(options: MotoOptions = {}): Promise<RecordingMotoPeer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'moto-recording-'));
  // startMoto passes the environment on to moto; the recorder reads these two at start-up.
  const saved = { file: process.env.MOTO_RECORDER_FILEPATH, enabled: process.env.MOTO_ENABLE_RECORDING };
  process.env.MOTO_RECORDER_FILEPATH = path.join(dir, 'recording.jsonl');
  process.env.MOTO_ENABLE_RECORDING = 'true';
  let moto: MotoPeer;
  try {
    moto = await startMoto(options);
  } finally {
    restore('MOTO_RECORDER_FILEPATH', saved.file);
    restore('MOTO_ENABLE_RECORDING', saved.enabled);
  }
  return {
    ...moto,
    async recordedRequests() {
      const res = await fetch(`${moto.url}/moto-api/recorder/download-recording`, {
        signal: AbortSignal.timeout(10_000),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`moto recorder: HTTP ${res.status}`);
      return text
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const entry = JSON.parse(line) as { body?: string | null; body_encoded?: boolean };
          const body = entry.body_encoded
            ? Buffer.from(entry.body ?? '', 'base64').toString()
            : (entry.body ?? '');
          const params = Object.fromEntries(new URLSearchParams(body));
          return { action: params.Action ?? '', params };
        })
        .filter((r) => r.action !== '');
    },
    async stop() {
      await moto.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

// EC2 deletes that name their resource by id; a Filter, or no id, would act on a selection.
const DELETE_ID_PARAM: Record<string, RegExp> = {
  TerminateInstances: /^InstanceId\.\d+$/,
  DeleteSecurityGroup: /^GroupId$/,
};

/** Recorded deletes that named no single resource (our code must never send one). */
export function awsDeletesBySelector(requests: readonly RecordedAwsRequest[]): string[] {
  return requests
    .filter((r) => /^(Delete|Terminate)/.test(r.action))
    .filter((r) => {
      const keys = Object.keys(r.params);
      const byId = DELETE_ID_PARAM[r.action];
      return keys.some((k) => k.startsWith('Filter')) || !byId || !keys.some((k) => byId.test(k));
    })
    .map((r) => `${r.action} ${new URLSearchParams(r.params).toString()}`);
}

function restore(key: string, value: string | undefined): void {
  if (value === undefined) delete process.env[key];
  else process.env[key] = value;
}
