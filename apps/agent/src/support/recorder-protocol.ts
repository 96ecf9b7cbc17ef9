// What the recorder (running as the support account) tells the agent over the unix socket: one JSON object
// per line. The agent answers the start with one line, `ok`, and then only listens.
export type RecorderMessage =
  | {
      t: 'start';
      tty: boolean;
      /** SSH_ORIGINAL_COMMAND: the command of `ssh host <command>`, null for an interactive shell. */
      command: string | null;
      /** SSH_CONNECTION: "client-ip client-port server-ip server-port". */
      connection: string | null;
      /** The `publickey <type> <base64>` line of sshd's ExposeAuthInfo file (a public certificate). */
      auth: string | null;
    }
  | { t: 'in' | 'out'; d: string }
  | { t: 'end'; code: number | null };

export const ACK = 'ok\n';
/** Longest line the agent accepts; the recorder sends at most one read (64 KiB) per line. */
export const MAX_LINE_BYTES = 512 * 1024;
