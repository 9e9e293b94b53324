using System.Text.Json;
using AgentOps.Ingest;

namespace AgentOps.Tests.Ingest;

public class EventParserTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-06-01T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture);

    private static ParsedItem Parse(string json) => EventParser.Parse(JsonDocument.Parse(json).RootElement, Now);

    [Fact]
    public void A_full_llm_call_is_read_into_the_stored_shape()
    {
        var item = Parse("""
            {"id":"e1","type":"llm.call","timestamp":"2026-06-01T10:00:00+02:00","run_id":"r1","agent":"bot","model":"GPT-4o","provider":"OpenAI",
             "tokens_in":10,"tokens_out":5,"tokens_cached":2,"latency_ms":40,"cost_usd":0.0000015,"input":{"messages":[1]},"output":"hi",
             "metadata":{"k":"v"},"parent_id":"p"}
            """);
        Assert.Null(item.Error);
        var e = item.Event!;
        Assert.Equal("bot", item.AgentKey);
        Assert.Equal(DateTimeOffset.Parse("2026-06-01T08:00:00Z", System.Globalization.CultureInfo.InvariantCulture), e.Timestamp);
        Assert.Equal(TimeSpan.Zero, e.Timestamp.Offset);
        Assert.Equal(("gpt-4o", "openai"), (e.Model, e.Provider));
        Assert.Equal((10L, 5L, 2L, 40L), (e.TokensIn!.Value, e.TokensOut!.Value, e.TokensCached!.Value, e.DurationMs!.Value));
        Assert.Equal(2L, e.ClientCostMicros); // $0.0000015 = 1.5 µ$, rounded half away from zero
        Assert.Equal("""{"messages":[1]}""", e.Input);
        Assert.Equal("hi", e.Output);
        Assert.Equal("""{"k":"v"}""", e.Metadata);
    }

    [Theory]
    [InlineData("""{"type":"log","timestamp":"2026-06-01T00:00:00Z","run_id":"r","agent":"a"}""", "missing_field", "$.id")]
    [InlineData("""{"id":"x","type":"log","timestamp":"yesterday","run_id":"r","agent":"a"}""", "type_mismatch", "$.timestamp")]
    [InlineData("""{"id":"x","type":"log","timestamp":"2026-06-03T00:00:00Z","run_id":"r","agent":"a"}""", "timestamp_in_future", "$.timestamp")]
    [InlineData("""{"id":"x","type":"llm.call","timestamp":"2026-06-01T00:00:00Z","run_id":"r","agent":"a"}""", "missing_field", "$.model")]
    [InlineData("""{"id":"x","type":"tool.call","timestamp":"2026-06-01T00:00:00Z","run_id":"r","agent":"a"}""", "missing_field", "$.tool_name")]
    [InlineData("""{"id":"x","type":"score","timestamp":"2026-06-01T00:00:00Z","run_id":"r","agent":"a"}""", "missing_field", "$.score")]
    [InlineData("""{"id":"x","type":"span","timestamp":"2026-06-01T00:00:00Z","run_id":"r","agent":"a"}""", "missing_field", "$.name")]
    [InlineData("""{"id":"x","type":"span","name":"plan","timestamp":"2026-06-01T00:00:00Z","run_id":"r","agent":"a","model":"gpt-4o"}""", "invalid_value", "$.model")]
    [InlineData("""{"id":"x","type":"span","name":"plan","timestamp":"2026-06-01T00:00:00Z","run_id":"r","agent":"a","provider":"openai"}""", "invalid_value", "$.provider")]
    [InlineData("""{"id":"x","type":"span","name":"plan","timestamp":"2026-06-01T00:00:00Z","run_id":"r","agent":"a","tokens_in":1}""", "invalid_value", "$.tokens_in")]
    [InlineData("""{"id":"x","type":"span","name":"plan","timestamp":"2026-06-01T00:00:00Z","run_id":"r","agent":"a","tokens_out":1}""", "invalid_value", "$.tokens_out")]
    [InlineData("""{"id":"x","type":"span","name":"plan","timestamp":"2026-06-01T00:00:00Z","run_id":"r","agent":"a","cost_usd":0.1}""", "invalid_value", "$.cost_usd")]
    [InlineData("""{"id":"x","type":"span","name":"plan","timestamp":"2026-06-01T00:00:00Z","run_id":"r","agent":"a","tokens_cached":1}""", "invalid_value", "$.tokens_cached")]
    [InlineData("""{"id":"x","type":"span","name":"plan","timestamp":"2026-06-01T00:00:00Z","run_id":"r","agent":"a","tool_name":"search"}""", "invalid_value", "$.tool_name")]
    [InlineData("""{"id":"x","type":"span","name":"plan","timestamp":"2026-06-01T00:00:02Z","ended_at":"2026-06-01T00:00:01Z","run_id":"r","agent":"a"}""", "invalid_value", "$.ended_at")]
    [InlineData("""{"id":"x","type":"log","timestamp":"2026-06-01T00:00:00Z","run_id":"r","agent":"a","tokens_in":1.5}""", "type_mismatch", "$.tokens_in")]
    [InlineData("""{"id":"x","type":"log","timestamp":"2026-06-01T00:00:00Z","run_id":"r","agent":"a","tokens_in":1,"tokens_cached":2}""", "invalid_value", "$.tokens_cached")]
    [InlineData("""{"id":"x","type":"log","timestamp":"2026-06-01T00:00:00Z","run_id":"r","agent":"a","cost_usd":-1}""", "invalid_value", "$.cost_usd")]
    [InlineData("""{"id":"x","type":"log","timestamp":"2026-06-01T00:00:00Z","run_id":"r","agent":"a","metadata":[1]}""", "type_mismatch", "$.metadata")]
    [InlineData("""{"id":"x","type":"log","timestamp":"2026-06-01T00:00:00Z","run_id":"r","agent":"a","tags":["ok",""]}""", "invalid_value", "$.tags[1]")]
    [InlineData("""{"id":"","type":"log","timestamp":"2026-06-01T00:00:00Z","run_id":"r","agent":"a"}""", "invalid_value", "$.id")]
    [InlineData("""{"id":"x","type":"log","timestamp":"2026-06-01T00:00:00Z","run_id":"r","agent":"a","colour":"red"}""", "unknown_field", "$.colour")]
    [InlineData("""[1,2]""", "invalid_item", "$")]
    [InlineData("""{"id":"x","type":"log","timestamp":"2026-06-01T00:00:00Z","run_id":"r","agent":"a","name":"nul\u0000"}""", "invalid_text", "$.name")]
    [InlineData("""{"id":"x","type":"log","timestamp":"2026-06-01T00:00:00Z","run_id":"r","agent":"a","metadata":{"k":"\u0000"}}""", "invalid_text", "$.metadata.k")]
    [InlineData("""{"id":"x","type":"log","timestamp":"2026-06-01T00:00:00Z","run_id":"r","agent":"a","metadata":{"a":"\ud800"}}""", "invalid_text", "$.metadata.a")]
    [InlineData("""{"id":"x\udc00","type":"log","timestamp":"2026-06-01T00:00:00Z","run_id":"r","agent":"a"}""", "invalid_text", "$.id")]
    [InlineData("""{"id":"x","type":"log","timestamp":"2026-06-01T00:00:00Z","run_id":"r","agent":"a","tags":["\ud83d"]}""", "invalid_text", "$.tags[0]")]
    [InlineData("""{"id":"x","type":"log","timestamp":"2026-06-01T00:00:00Z","run_id":"r","agent":"a","input":"a\u0000b"}""", "invalid_text", "$.input")]
    [InlineData("""{"id":"x","type":"log","timestamp":"0001-01-01T00:00:00Z","run_id":"r","agent":"a"}""", "invalid_value", "$.timestamp")]
    [InlineData("""{"id":"x","type":"log","timestamp":"2026-06-01T00:00:00Z","ended_at":"9999-12-31T23:59:59Z","run_id":"r","agent":"a"}""", "timestamp_in_future", "$.ended_at")]
    public void Each_problem_has_a_code_and_the_path_of_its_field(string json, string code, string path)
    {
        var item = Parse(json);
        Assert.Null(item.Event);
        Assert.Equal((code, path), (item.Error!.Code, item.Error.Path));
    }

    [Fact]
    public void A_span_has_its_start_end_duration_and_parent()
    {
        var e = Parse("""
            {"id":"s1","type":"span","name":"plan","timestamp":"2026-06-01T00:00:00Z","ended_at":"2026-06-01T00:00:02.250Z","run_id":"r","agent":"a",
             "parent_id":"outer","status":"ok","input":"goal","metadata":{"k":"v"}}
            """).Event!;
        Assert.Equal("span", e.Type);
        Assert.Equal("plan", e.Name);
        Assert.Equal("outer", e.ParentId);
        Assert.Equal(2250L, e.DurationMs);
        Assert.Equal(DateTimeOffset.Parse("2026-06-01T00:00:02.25Z", System.Globalization.CultureInfo.InvariantCulture), e.EndedAt);
        Assert.Null(e.Model);
    }

    [Fact]
    public void Errors_name_the_event_even_when_its_id_comes_last() =>
        Assert.Equal("late-id", Parse("""{"type":"nope","id":"late-id"}""").Id);

    [Theory]
    [InlineData("success", null, "succeeded")]
    [InlineData("OK", null, "succeeded")]
    [InlineData(null, null, "succeeded")]
    [InlineData(null, "boom", "failed")]
    [InlineData("completed", "boom", "failed")]
    [InlineData("timeout", null, "failed")]
    [InlineData("canceled", null, "cancelled")]
    public void Run_end_statuses_are_folded_onto_ours(string? status, string? error, string expected)
    {
        var json = JsonSerializer.Serialize(new { id = "x", type = "run.end", timestamp = "2026-06-01T00:00:00Z", run_id = "r", agent = "a", status, error });
        Assert.Equal(expected, Parse(json).Event!.Status);
    }

    [Fact]
    public void Ended_at_gives_the_duration_when_latency_is_absent() =>
        Assert.Equal(1500, Parse("""{"id":"x","type":"tool.call","tool_name":"t","timestamp":"2026-06-01T00:00:00Z","ended_at":"2026-06-01T00:00:01.5Z","run_id":"r","agent":"a"}""").Event!.DurationMs);

    [Fact]
    public void The_batch_codec_round_trips_every_field()
    {
        var e = Parse("""
            {"id":"e1","type":"run.start","timestamp":"2026-06-01T10:00:00Z","run_id":"r1","agent":"bot","tags":["a","b"],"environment":"prod",
             "name":"n","input":"i","metadata":{"k":1}}
            """).Event! with { AgentId = Guid.NewGuid(), InputRef = "2026-06-01/abc.txt" };
        var back = BatchCodec.Decode(BatchCodec.Encode([e]));
        Assert.Equal(JsonSerializer.Serialize(e), JsonSerializer.Serialize(back[0]));
    }
}
