import { ArtifactStorage } from '../storage/artifact-storage';

export interface FoundObject {
  path: string;
  size: number;
}

/**
 * Where the store and the index of recorded artifacts disagree under one root: objects stored but not
 * recorded as such (missing, or recorded with another size), and recorded objects the store no longer
 * has. Sizes, not digests, decide: comparing digests would read every byte of the store.
 */
export function discrepancies(
  stored: FoundObject[],
  recorded: FoundObject[],
): { unrecorded: FoundObject[]; vanished: string[] } {
  const recordedSizes = new Map(recorded.map((object) => [object.path, object.size]));
  const storedPaths = new Set(stored.map((object) => object.path));
  return {
    unrecorded: stored.filter((object) => recordedSizes.get(object.path) !== object.size),
    vanished: recorded.filter((object) => !storedPaths.has(object.path)).map((object) => object.path),
  };
}

/** Every object under `prefix` (an artifact path), through the store's own listing. */
export async function listTree(storage: ArtifactStorage, prefix: string): Promise<FoundObject[]> {
  const found: FoundObject[] = [];
  for (const entry of await storage.list(prefix)) {
    const path = `${prefix}/${entry.name}`;
    if (entry.isDir) found.push(...(await listTree(storage, path)));
    else found.push({ path, size: entry.size ?? 0 });
  }
  return found;
}
