using System.Text.Json;
using AgentOps.IntegrationTests.Infrastructure;
using static AgentOps.IntegrationTests.Infrastructure.Ingesting;

namespace AgentOps.IntegrationTests;

/// <summary>The span event type (docs/ingest.md "Spans"): stored, on the timeline tree, counted as an event, never a call and never priced.</summary>
[Collection(ApiCollection.Name)]
public class IngestSpanTests(ApiFixture fx)
{
    private readonly HttpClient _client = fx.Client();

    [Fact]
    public async Task Nested_spans_are_stored_as_a_tree_and_are_neither_calls_nor_priced()
    {
        var (tenant, key) = await _client.SdkTenantAsync();
        const string run = "span-run";
        (await _client.IngestAsync(key,
            Event("start", "run.start", 0, run, extra: new { name = "with spans" }),
            Event("plan", "span", 0.5, run, extra: new { name = "plan", ended_at = At(3.5) }),
            Event("draft", "span", 1, run, extra: new { name = "draft", ended_at = At(2), parent_id = "plan", status = "ok" }),
            Event("llm", "llm.call", 1.2, run, extra: new { model = "gpt-4o", provider = "openai", tokens_in = 1000, tokens_out = 500, latency_ms = 700, parent_id = "draft" }),
            Event("tool", "tool.call", 2.5, run, extra: new { tool_name = "search", latency_ms = 40, parent_id = "plan" }),
            Event("lone", "span", 4, run, extra: new { name = "wrap-up", duration_ms = 250 }),
            Event("end", "run.end", 5, run, extra: new { status = "success" }))).Expect(202);

        var detail = await _client.WaitForRunAsync(key, run, d => d.GetProperty("run").GetProperty("status").GetString() == "succeeded");
        var timeline = detail.GetProperty("timeline").EnumerateArray()
            .Select(t => (Id: t.GetProperty("event").GetProperty("id").GetString(), Depth: t.GetProperty("depth").GetInt32())).ToList();
        Assert.Equal([("start", 0), ("plan", 0), ("draft", 1), ("llm", 2), ("tool", 1), ("lone", 0), ("end", 0)], timeline);

        var events = detail.GetProperty("timeline").EnumerateArray().Select(t => t.GetProperty("event")).ToDictionary(e => e.GetProperty("id").GetString()!);
        Assert.Equal("span", events["plan"].GetProperty("type").GetString());
        Assert.Equal("plan", events["plan"].GetProperty("name").GetString());
        Assert.Equal(3000, events["plan"].GetProperty("duration_ms").GetInt64());
        Assert.Equal(1000, events["draft"].GetProperty("duration_ms").GetInt64());
        Assert.Equal("plan", events["draft"].GetProperty("parent_id").GetString());
        Assert.Equal(250, events["lone"].GetProperty("duration_ms").GetInt64());
        Assert.Equal(JsonValueKind.Null, events["plan"].GetProperty("cost_micros").ValueKind);

        var runView = detail.GetProperty("run");
        Assert.Equal(7, runView.GetProperty("event_count").GetInt32());
        Assert.Equal(1, runView.GetProperty("llm_calls").GetInt32());
        Assert.Equal(1, runView.GetProperty("tool_calls").GetInt32());
        Assert.Equal(1000, runView.GetProperty("tokens_in").GetInt64());
        Assert.Equal(0, runView.GetProperty("error_count").GetInt32());
        // gpt-4o: 1,000 in × $2.50 + 500 out × $10 per 1M tokens: the LLM call only.
        Assert.Equal(7500, runView.GetProperty("cost_micros").GetInt64());
        Assert.Equal(3L, await TestDatabase.ScalarAsync<long>(TestDatabase.OwnerUrl,
            "SELECT count(*) FROM events WHERE org_id = $1 AND type = 'span' AND cost_micros IS NULL AND cost_source IS NULL", tenant.OrgId));
    }

    [Fact]
    public async Task A_span_without_a_name_or_with_model_use_is_refused_and_its_neighbours_kept()
    {
        var (_, key) = await _client.SdkTenantAsync();
        var reply = (await _client.IngestAsync(key,
            Event("ok", "span", 0, "refused-spans", extra: new { name = "fine", ended_at = At(1) }),
            Event("nameless", "span", 0, "refused-spans"),
            Event("priced", "span", 0, "refused-spans", extra: new { name = "p", model = "gpt-4o", tokens_in = 5 }))).Expect(207);
        var results = reply.Body.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal("accepted", results[0].GetProperty("status").GetString());
        Assert.Equal(("missing_field", "$.name"), (results[1].GetProperty("code").GetString(), results[1].GetProperty("path").GetString()));
        Assert.Equal(("invalid_value", "$.model"), (results[2].GetProperty("code").GetString(), results[2].GetProperty("path").GetString()));
    }

    [Fact]
    public async Task A_span_with_a_tool_name_is_refused_and_a_span_s_error_counts_in_the_run()
    {
        var (_, key) = await _client.SdkTenantAsync();
        const string run = "span-errors";
        var reply = (await _client.IngestAsync(key,
            Event("start", "run.start", 0, run, extra: new { name = "with a failed step" }),
            Event("tooled", "span", 0.5, run, extra: new { name = "t", tool_name = "search" }),
            Event("failed-step", "span", 1, run, extra: new { name = "retrieve", ended_at = At(2), error = "index unavailable" }),
            Event("end", "run.end", 3, run, extra: new { status = "success" }))).Expect(207);
        var results = reply.Body.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(("invalid_value", "$.tool_name"), (results[1].GetProperty("code").GetString(), results[1].GetProperty("path").GetString()));

        var detail = await _client.WaitForRunAsync(key, run, d => d.GetProperty("run").GetProperty("status").GetString() == "succeeded");
        var runView = detail.GetProperty("run");
        Assert.Equal(3, runView.GetProperty("event_count").GetInt32());
        Assert.Equal(1, runView.GetProperty("error_count").GetInt32());
        Assert.Equal(0, runView.GetProperty("tool_calls").GetInt32());
    }
}
