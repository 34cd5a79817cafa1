/**
 * What `ftpkit mirror` copies: compare a source tree with a destination
 * tree by size and modification time.
 *
 * @module
 */

/** A file or directory of a tree, by its path relative to the tree's root (`a/b.txt`). */
export interface MirrorEntry {
  /** `"file"` or `"dir"`; other kinds (links, devices) are left out of the trees. */
  type: "file" | "dir";
  /** Size in bytes (files). */
  size: number;
  /** Last modification, when known. */
  modifiedAt?: Date;
}

/** Which way a mirror copies. */
export type MirrorDirection = "download" | "upload";

/** What a mirror has to do. */
export interface MirrorPlan {
  /** Directories to create at the destination, parents first. */
  directories: string[];
  /** Files to copy, in path order. */
  copy: string[];
  /** Files already up to date. */
  unchanged: string[];
  /** Destination files and directories the source does not have, deepest first. */
  extra: string[];
}

/**
 * Whether `destination` is up to date with `source`. Sizes must match.
 * Downloads set the local file's time to the server's, so the times must be
 * equal (within a second: servers list whole seconds). Uploads cannot set
 * the server's time (no MFMT), so the server's copy must be at least as new,
 * to the minute when the server lists whole minutes (LIST).
 * Without times on either side, sizes decide.
 */
export function isMirrorEntryUnchanged(
  source: MirrorEntry,
  destination: MirrorEntry | undefined,
  direction: MirrorDirection,
): boolean {
  if (!destination || destination.type !== "file" || destination.size !== source.size) return false;
  if (!source.modifiedAt || !destination.modifiedAt) return true;
  const sourceTime = source.modifiedAt.getTime();
  const destinationTime = destination.modifiedAt.getTime();
  if (direction === "download") return Math.abs(sourceTime - destinationTime) < 1000;
  // LIST shows whole minutes (MLSD at least seconds): compare at the precision the server gave.
  const precision = destinationTime % 60_000 === 0 ? 60_000 : 1000;
  return destinationTime >= Math.floor(sourceTime / precision) * precision;
}

/** Compare two trees (maps from relative path to entry). */
export function planMirror(
  source: ReadonlyMap<string, MirrorEntry>,
  destination: ReadonlyMap<string, MirrorEntry>,
  direction: MirrorDirection,
): MirrorPlan {
  const plan: MirrorPlan = { directories: [], copy: [], unchanged: [], extra: [] };
  const paths = [...source.keys()].sort();
  for (const path of paths) {
    const entry = source.get(path)!;
    const existing = destination.get(path);
    if (entry.type === "dir") {
      if (existing?.type !== "dir") plan.directories.push(path);
    } else if (isMirrorEntryUnchanged(entry, existing, direction)) {
      plan.unchanged.push(path);
    } else {
      plan.copy.push(path);
    }
  }
  const extra = [...destination.keys()].filter((p) => {
    const here = source.get(p);
    return !here || here.type !== destination.get(p)!.type;
  });
  // Deepest first, so a directory is emptied before it is removed.
  plan.extra = extra.sort((a, b) =>
    b.split("/").length - a.split("/").length || a.localeCompare(b)
  );
  return plan;
}
