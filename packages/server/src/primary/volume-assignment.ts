/**
 * Which volumes each worker owns (README "Architecture", Workers): with at least as many
 * volumes as workers, volume k (in uuid order) belongs to worker k mod N; with more workers
 * than volumes, worker i shares volume i mod V round robin. Every worker owns at least one.
 */
export function assignVolumes(volumeUuids: readonly string[], workerCount: number): string[][] {
  const sorted = [...volumeUuids].sort();
  const owned: string[][] = Array.from({ length: workerCount }, () => []);
  if (sorted.length === 0) return owned;
  if (sorted.length >= workerCount) {
    for (const [k, uuid] of sorted.entries()) owned[k % workerCount]!.push(uuid);
  } else {
    for (let i = 0; i < workerCount; i++) owned[i]!.push(sorted[i % sorted.length]!);
  }
  return owned;
}
