// unattended-upgrades: refresh the package lists and apply upgrades daily. The distribution's own
// 50unattended-upgrades limits them to the security archive on Debian and Ubuntu.
import type { WriteFile } from './write-file.ts';

export function autoUpgrades(): WriteFile {
  return {
    path: '/etc/apt/apt.conf.d/20auto-upgrades',
    content: 'APT::Periodic::Update-Package-Lists "1";\nAPT::Periodic::Unattended-Upgrade "1";\n',
    permissions: '0644',
  };
}
