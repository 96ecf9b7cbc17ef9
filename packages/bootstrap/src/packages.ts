// cloud-init `packages` (module cc_package_update_upgrade_install): the Debian/Ubuntu packages the hardening
// needs. Everything else (Node, npm, OpenClaw, the agent) comes from the npm registry, pinned by integrity
// (install-script.ts), because neither distribution ships Node 24.
export const APT_PACKAGES = [
  'ca-certificates',
  'curl',
  'fail2ban',
  'openssh-server',
  'openssl',
  // fail2ban reads sshd's journal (jail.ts); Debian 12 has no /var/log/auth.log without rsyslog.
  'python3-systemd',
  // For an administrator support grant only: the agent then adds /etc/sudoers.d/50-claw-support, which
  // Debian's /etc/sudoers includes (@includedir). Nothing of ours is in sudoers without one.
  'sudo',
  'ufw',
  'unattended-upgrades',
] as const;

export function packagesSection() {
  return {
    // Refresh the index so a fresh image installs current versions; the full upgrade is left to
    // unattended-upgrades, which keeps first boot short and predictable.
    package_update: true,
    package_upgrade: false,
    packages: [...APT_PACKAGES],
  };
}
