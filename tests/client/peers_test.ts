import { after, describe, test } from "node:test";
import { connectTo, runScenario } from "./_scenario.ts";
import { type Peer, startPyftpdlib } from "./_peers.ts";

describe("client against pyftpdlib", () => {
  let peer: Peer;
  after(() => peer?.stop());
  test("passive, MLSx", async () => {
    peer = await startPyftpdlib();
    await using client = await connectTo(peer, { passive: true, tls: false });
    await runScenario(client);
  });
});
