import { FsPathIO, MemoryPathIO } from "../../pathio/mod.ts";
import { tempDir } from "../_helpers.ts";
import { pathIOConformance } from "./_conformance.ts";

pathIOConformance(
  "MemoryPathIO",
  ({ timeoutMs }) => Promise.resolve({ io: new MemoryPathIO({ timeoutMs }) }),
);

pathIOConformance("FsPathIO", async ({ timeoutMs }) => {
  const dir = await tempDir("ftpkit-pathio-");
  return { io: new FsPathIO({ root: dir.path, timeoutMs }), cleanup: dir.remove };
});
