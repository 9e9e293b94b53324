// Type-checked by test.sh as a CommonJS consumer (module node16): the `require` condition's types.
import { AgentOps, AgentPausedError } from "@agentops/sdk";
const client = new AgentOps({ apiKey: "k", agent: "a", sync: true });
export const run = client.startRun("r");
export const isPausedError = (e: unknown): boolean => e instanceof AgentPausedError;
