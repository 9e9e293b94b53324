// Type-checked by test.sh as an ES module consumer (module node16): the `import` condition's types.
import { AgentOps, wrapOpenAI, type FlushResult, type Stats } from "@agentops/sdk";
const client = new AgentOps({ apiKey: "k", agent: "a" });
const result: Promise<FlushResult> = client.flush(1000);
const stats: Stats = client.stats();
export { result, stats, wrapOpenAI };
