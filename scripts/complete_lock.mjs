// Adds lock entries for the Deno platform packages that the npm registry
// reachable here does not serve (only linux-x64-glibc is there). `npm install`
// leaves them out of package-lock.json, and `npm ci` then refuses the lock as
// "out of sync". The entries carry os/cpu, so npm skips them on this platform
// and never fetches them. Run after any `npm install` that rewrites the lock:
//   node scripts/complete_lock.mjs
import { readFileSync, writeFileSync } from "node:fs";

const lockPath = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(lockPath, "utf8"));
const deno = lock.packages["node_modules/deno"];
const platforms = {
  "@deno/darwin-arm64": { os: ["darwin"], cpu: ["arm64"] },
  "@deno/darwin-x64": { os: ["darwin"], cpu: ["x64"] },
  "@deno/linux-arm64-glibc": { os: ["linux"], cpu: ["arm64"], libc: ["glibc"] },
  "@deno/linux-x64-glibc": { os: ["linux"], cpu: ["x64"], libc: ["glibc"] },
  "@deno/win32-arm64": { os: ["win32"], cpu: ["arm64"] },
  "@deno/win32-x64": { os: ["win32"], cpu: ["x64"] },
};
let added = 0;
for (const name of Object.keys(deno.optionalDependencies ?? {})) {
  const key = `node_modules/${name}`;
  if (lock.packages[key]) continue;
  lock.packages[key] = {
    version: deno.optionalDependencies[name],
    dev: true,
    license: "MIT",
    optional: true,
    ...(platforms[name] ?? {}),
  };
  added++;
}
const sorted = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a < b ? -1 : 1)),
);
lock.packages = sorted;
writeFileSync(lockPath, JSON.stringify(lock, null, 2) + "\n");
console.log(`complete_lock: ${added} entr${added === 1 ? "y" : "ies"} added`);
