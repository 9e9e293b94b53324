// An OpenAI call recorded with its model, tokens (cached ones included), latency, time to first token and cost.
// Any OpenAI-compatible server works: set OPENAI_BASE_URL (e.g. a local gateway) and OPENAI_API_KEY.
import OpenAI from "openai";
import { AgentOps, wrapOpenAI, type UsageInfo } from "@agentops/sdk";

const agentops = new AgentOps({ agent: "writer-bot" });

/** US dollars per 1M tokens (input, cached input, output); the server prices from its own list when this is absent. */
const PRICES: Record<string, [number, number, number]> = { "gpt-4o-mini": [0.15, 0.075, 0.6] };

function cost(u: UsageInfo): number | undefined {
  const price = PRICES[u.model.replace(/-\d{4}-\d{2}-\d{2}$/, "")];
  if (!price || u.tokensIn === undefined || u.tokensOut === undefined) return undefined;
  const cached = u.tokensCached ?? 0;
  return ((u.tokensIn - cached) * price[0] + cached * price[1] + u.tokensOut * price[2]) / 1e6;
}

const openai = wrapOpenAI(new OpenAI({ baseURL: process.env.OPENAI_BASE_URL }), { client: agentops, cost });

await agentops.withRun("write a haiku", async () => {
  const completion = await openai.chat.completions.create({
    model: "gpt-4o-mini",
    messages: [{ role: "user", content: "A haiku about observability." }],
  });
  console.log(completion.choices[0]?.message.content);

  // Streams are recorded when they end (or when the loop breaks early).
  const stream = await openai.chat.completions.create({
    model: "gpt-4o-mini",
    messages: [{ role: "user", content: "Another one." }],
    stream: true,
    stream_options: { include_usage: true },
  });
  for await (const chunk of stream) process.stdout.write(chunk.choices[0]?.delta?.content ?? "");
});

await agentops.shutdown();
