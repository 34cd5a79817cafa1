/**
 * The files every server serves in the benchmark, laid out once per run in a
 * scratch directory (tmpfs by default, so the disk is not what is measured):
 *
 * ```
 * <scratch>/root/                 served root (mode 755; vsftpd wants it read-only)
 *   retr_<bigSize>.bin            one-client RETR and client download
 *   retr_<multiSize>.bin          many-client RETR
 *   list/f_00000 … f_<n>          directory listed by the client rows
 *   up/                           uploads land here (mode 777, owned by vsftpd's anonymous user)
 * <scratch>/local/small/          files the small-files client row uploads
 * <scratch>/local/down/           where it downloads them back to
 * <scratch>/conf/                 per-server configuration files
 * <scratch>/empty/                an empty read-only directory (vsftpd's secure_chroot_dir)
 * ```
 *
 * @module
 */

import {
  chmodSync,
  chownSync,
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";

/** Paths of one run's fixtures. */
export interface BenchFixtures {
  /** Scratch directory of the run (removed by {@link removeBenchFixtures}). */
  scratch: string;
  /** Root every server serves. */
  root: string;
  /** Writable upload directory inside `root`, as a path relative to the FTP root. */
  uploadDir: string;
  /** Name (relative to `root`) of the big file. */
  bigFile: string;
  /** Name (relative to `root`) of the many-client file. */
  multiFile: string;
  /** Name (relative to `root`) of the listed directory. */
  listDir: string;
  /** Local files the small-files row uploads. */
  smallFiles: string[];
  /** Local directory the small-files row downloads into. */
  downDir: string;
  /** Directory for configuration files. */
  confDir: string;
  /** An empty directory nobody writes to. */
  emptyDir: string;
}

/** What to create. */
export interface BenchFixtureSizes {
  /** Bytes of the big file. */
  bigSize: number;
  /** Bytes of the many-client file. */
  multiSize: number;
  /** Files in the listed directory. */
  listFiles: number;
  /** Files of the small-files row. */
  smallFiles: number;
  /** Bytes of each small file. */
  smallSize: number;
  /** uid that must be able to write into `up/` (vsftpd's anonymous user), if any. */
  uploadOwner?: { uid: number; gid: number };
}

/** Creates the fixtures under `workDir`. */
export function createBenchFixtures(workDir: string, sizes: BenchFixtureSizes): BenchFixtures {
  const scratch = mkdtempSync(join(workDir, "ftpkit-bench-"));
  chmodSync(scratch, 0o755);
  const root = join(scratch, "root");
  const local = join(scratch, "local");
  const confDir = join(scratch, "conf");
  const emptyDir = join(scratch, "empty");
  for (const dir of [root, local, confDir, emptyDir, join(root, "list"), join(local, "small")]) {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    chmodSync(dir, 0o755);
  }
  const bigFile = `retr_${sizes.bigSize}.bin`;
  const multiFile = `retr_${sizes.multiSize}.bin`;
  writeRandomFile(join(root, bigFile), sizes.bigSize);
  writeRandomFile(join(root, multiFile), sizes.multiSize);
  for (let i = 0; i < sizes.listFiles; i++) {
    writeFileSync(join(root, "list", `f_${String(i).padStart(5, "0")}`), "");
  }
  const smallFiles: string[] = [];
  for (let i = 0; i < sizes.smallFiles; i++) {
    const path = join(local, "small", `s_${String(i).padStart(3, "0")}.bin`);
    writeRandomFile(path, sizes.smallSize);
    smallFiles.push(path);
  }
  const fixtures: BenchFixtures = {
    scratch,
    root,
    uploadDir: "up",
    bigFile,
    multiFile,
    listDir: "list",
    smallFiles,
    downDir: join(local, "down"),
    confDir,
    emptyDir,
  };
  resetBenchUploads(fixtures, sizes.uploadOwner);
  return fixtures;
}

/** Empties `up/` and the local download directory between measurements. */
export function resetBenchUploads(
  fixtures: BenchFixtures,
  owner?: { uid: number; gid: number },
): void {
  const up = join(fixtures.root, fixtures.uploadDir);
  rmSync(up, { recursive: true, force: true });
  mkdirSync(up, { mode: 0o777 });
  chmodSync(up, 0o777);
  if (owner) chownSync(up, owner.uid, owner.gid);
  rmSync(fixtures.downDir, { recursive: true, force: true });
  mkdirSync(fixtures.downDir, { recursive: true });
}

/** Number of entries in `up/` (checks that uploads landed). */
export function countBenchUploads(fixtures: BenchFixtures): number {
  return readdirSync(join(fixtures.root, fixtures.uploadDir)).length;
}

/** Removes the whole scratch directory. */
export function removeBenchFixtures(fixtures: BenchFixtures): void {
  rmSync(fixtures.scratch, { recursive: true, force: true });
}

function writeRandomFile(path: string, size: number): void {
  const block = new Uint8Array(Math.min(size, 1024 * 1024));
  for (let at = 0; at < block.length; at += 65536) {
    crypto.getRandomValues(block.subarray(at, Math.min(at + 65536, block.length)));
  }
  const fd = openSync(path, "w", 0o644);
  try {
    for (let left = size; left > 0;) {
      const n = Math.min(left, block.length);
      writeSync(fd, block, 0, n);
      left -= n;
    }
  } finally {
    closeSync(fd);
  }
}
