// The one script that downloads anything: Node 24, npm, OpenClaw and the Claw agent, all from the npm registry
// at pinned versions. Each tarball is checked against its pinned integrity before it is unpacked, so a changed
// byte stops the bootstrap instead of running.
import { AGENT_DIR, INSTALL_SCRIPT_PATH, NODE_BIN, NODE_DIR, NPM_DIR, OPENCLAW_PREFIX } from './layout.ts';
import type { PinnedPackage } from './pins.ts';
import { NODE_BY_ARCH, NPM, tarballUrl } from './pins.ts';
import type { WriteFile } from './write-file.ts';

function nodeCases(): string {
  return Object.entries(NODE_BY_ARCH)
    .map(([machine, pkg]) => `  ${machine}) node_url="${tarballUrl(pkg)}" node_sri="${pkg.integrity}" ;;`)
    .join('\n');
}

export function installScript(pins: { agent: PinnedPackage; openclaw: PinnedPackage }): WriteFile {
  const content = `#!/bin/sh
# Claw Cloud: installs the pinned runtime. Every download is checked against its npm integrity value
# (npm view <name>@<version> dist.integrity) before it is used.
set -eu
case "$(uname -m)" in
${nodeCases()}
  *) echo "claw: unsupported architecture $(uname -m)" >&2; exit 1 ;;
esac
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# fetch <url> <integrity> <file>: download over HTTPS only, then compare the SHA-512.
fetch() {
  curl -fsSL --proto =https --retry 5 -o "$3" "$1"
  actual="sha512-$(openssl dgst -sha512 -binary "$3" | base64 -w0)"
  [ "$actual" = "$2" ] || { echo "claw: integrity mismatch for $1" >&2; exit 1; }
}
# unpack <file> <dir>: npm tarballs hold one top folder, "package/".
unpack() {
  mkdir -p "$2"
  tar -xzf "$1" -C "$2" --strip-components=1 --no-same-owner
}

fetch "$node_url" "$node_sri" "$work/node.tgz"
unpack "$work/node.tgz" ${NODE_DIR}
fetch "${tarballUrl(NPM)}" "${NPM.integrity}" "$work/npm.tgz"
unpack "$work/npm.tgz" ${NPM_DIR}
fetch "${tarballUrl(pins.agent)}" "${pins.agent.integrity}" "$work/agent.tgz"
unpack "$work/agent.tgz" ${AGENT_DIR}
fetch "${tarballUrl(pins.openclaw)}" "${pins.openclaw.integrity}" "$work/openclaw.tgz"
# OpenClaw's own dependencies are resolved by npm; its install scripts need Node 24 first on PATH.
PATH=${NODE_DIR}/bin:$PATH ${NODE_BIN} ${NPM_DIR}/bin/npm-cli.js install --prefix ${OPENCLAW_PREFIX} \\
  --omit=dev --no-audit --no-fund --no-update-notifier "$work/openclaw.tgz"
`;
  return { path: INSTALL_SCRIPT_PATH, content, permissions: '0755' };
}
