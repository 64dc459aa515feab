/**
 * GET /pull, GET /trash and POST /KIND/pause|resume on a real keepstore, typed as the server
 * answers them (README "Pull lists", Watching and steering a list).
 */
import type { ListName, ListProgressReport, PauseState } from '../../packages/server/src/list-progress.ts';
import { adminHeaders, type Keepstore } from './keepstore-process.ts';
import { send } from './pull-helpers.ts';

export async function listProgress(ks: Keepstore, kind: ListName = 'pull'): Promise<ListProgressReport> {
  const res = await send(`${ks.url}/${kind}`, 'GET', undefined, adminHeaders);
  if (res.status !== 200) throw new Error(`GET /${kind}: ${res.status} ${res.text}`);
  return JSON.parse(res.text) as ListProgressReport;
}

/** POST /KIND/pause or /KIND/resume; throws unless 200. */
export async function setPaused(ks: Keepstore, kind: ListName, action: 'pause' | 'resume'): Promise<PauseState> {
  const res = await send(`${ks.url}/${kind}/${action}`, 'POST', undefined, adminHeaders);
  if (res.status !== 200) throw new Error(`POST /${kind}/${action}: ${res.status} ${res.text}`);
  return JSON.parse(res.text) as PauseState;
}
