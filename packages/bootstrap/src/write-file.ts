// One cloud-init `write_files` entry (module cc_write_files). `permissions` must be an octal string: the
// schema rejects integers (cloud-test-peers.md §5).
export type WriteFile = {
  path: string;
  content: string;
  permissions: '0600' | '0644' | '0755';
  owner?: string;
  /** Write in the final stage, after users exist (needed for `owner`). */
  defer?: true;
};
