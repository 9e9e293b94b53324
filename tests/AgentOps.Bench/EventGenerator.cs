using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace AgentOps.Bench;

/// <summary>
/// Batches of realistic agent traffic: runs of 10 events (run.start, 3 llm.call, 3 tool.call, a log, an
/// external.action, run.end) with prompts, completions, tool arguments and results of typical size (a few hundred
/// bytes), common models and token counts. Ids are derived from (client, batch, index) so a verifier can list every
/// id of an acknowledged batch without keeping them.
/// </summary>
public sealed class EventGenerator(int batchSize)
{
    public const int EventsPerRun = 10;
    public sealed record Sample(int Client, long Seq, long Ack);

    /// <summary>The newest acknowledged batch, for the freshness sampler.</summary>
    public static volatile Sample? Current;

    private static readonly string[] Models = ["gpt-4o", "gpt-4o-mini", "claude-3-5-haiku", "claude-sonnet-4", "gemini-2.0-flash", "gpt-4.1-mini"];
    private static readonly string[] Tools = ["search_orders", "lookup_customer", "refund_payment", "send_email", "query_kb", "create_ticket"];
    private static readonly string[] Words = ("the customer asked about a refund for order number which was delivered late and damaged please check policy " +
        "agent should verify identity then look up the order history confirm eligibility and issue a partial credit according to terms").Split(' ');
    private static readonly DateTimeOffset Base = DateTimeOffset.UtcNow.AddMinutes(-5);

    public static string RunId(int client, long seq, int run) => $"c{client}-b{seq}-r{run}";

    public IEnumerable<string> EventIds(int client, long seq)
    {
        for (var i = 0; i < batchSize; i++) yield return $"c{client}-b{seq}-e{i}";
    }

    public byte[] Batch(int client, long seq)
    {
        var random = new Random(HashCode.Combine(client, seq));
        var buffer = new ArrayBufferWriter<byte>(batchSize * 700);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartArray("batch");
            for (var i = 0; i < batchSize; i++)
            {
                var run = i / EventsPerRun;
                var step = i % EventsPerRun;
                var at = Base.AddMilliseconds(seq * 10 + step * 120);
                w.WriteStartObject();
                w.WriteString("id", $"c{client}-b{seq}-e{i}");
                w.WriteString("run_id", RunId(client, seq, run));
                w.WriteString("agent", $"agent-{client % 8}");
                w.WriteString("timestamp", at.ToString("O", CultureInfo.InvariantCulture));
                if (step > 0) w.WriteString("parent_id", $"c{client}-b{seq}-e{run * EventsPerRun}");
                switch (step)
                {
                    case 0:
                        w.WriteString("type", "run.start");
                        w.WriteString("name", "support conversation");
                        w.WriteString("input", Text(random, 40));
                        w.WriteStartArray("tags"); w.WriteStringValue("prod"); w.WriteStringValue("support"); w.WriteEndArray();
                        break;
                    case 1 or 4 or 7:
                        w.WriteString("type", "llm.call");
                        w.WriteString("model", Models[random.Next(Models.Length)]);
                        w.WriteNumber("tokens_in", random.Next(200, 4000));
                        w.WriteNumber("tokens_out", random.Next(20, 800));
                        w.WriteNumber("tokens_cached", random.Next(0, 150));
                        w.WriteNumber("latency_ms", random.Next(150, 4000));
                        w.WriteString("input", Text(random, 50));
                        w.WriteString("output", Text(random, 35));
                        break;
                    case 2 or 5 or 8:
                        w.WriteString("type", "tool.call");
                        w.WriteString("tool_name", Tools[random.Next(Tools.Length)]);
                        w.WriteStartObject("arguments"); w.WriteNumber("order_id", random.Next()); w.WriteString("reason", Text(random, 6)); w.WriteEndObject();
                        w.WriteString("result", Text(random, 20));
                        w.WriteNumber("latency_ms", random.Next(5, 400));
                        break;
                    case 3:
                        w.WriteString("type", "log");
                        w.WriteString("name", "policy checked");
                        w.WriteStartObject("metadata"); w.WriteString("policy", "refunds-v3"); w.WriteBoolean("eligible", random.Next(2) == 0); w.WriteEndObject();
                        break;
                    case 6:
                        w.WriteString("type", "external.action");
                        w.WriteString("name", "crm.update");
                        w.WriteNumber("latency_ms", random.Next(20, 300));
                        break;
                    default:
                        w.WriteString("type", "run.end");
                        w.WriteString("status", random.Next(20) == 0 ? "failed" : "success");
                        w.WriteString("output", Text(random, 25));
                        break;
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static string Text(Random random, int words) =>
        string.Join(' ', Enumerable.Range(0, words).Select(_ => Words[random.Next(Words.Length)]));
}
