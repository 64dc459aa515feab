import { spawnSync } from 'node:child_process';

/** Install a Debian package with apt-get (update first) unless `command` is already on PATH. */
export function ensureCommand(command: string, pkg: string, log: (line: string) => void): void {
  if (spawnSync('sh', ['-c', `command -v ${command}`]).status === 0) return;
  log(`${command} not found: installing the Debian package ${pkg} (apt-get update && apt-get install ${pkg})`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [
    ['update', '-qq'],
    ['install', '-y', '-qq', pkg],
  ]) {
    const r = spawnSync('apt-get', args, { env, stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed (${r.status})`);
  }
}
