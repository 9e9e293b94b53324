using System.Text.Json;
using System.Text.Json.Nodes;
using AgentOps.Ingest;
using AgentOps.Ingest.Otlp;
using Google.Protobuf;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;
using static AgentOps.Tests.Ingest.Otlp.OtlpSpans;

namespace AgentOps.Tests.Ingest.Otlp;

public class OtlpMapperTests
{
    private const string EventId = TraceHex + "-" + ChildHex;
    private const string RootId = TraceHex + "-" + RootHex;

    [Fact]
    public void A_genai_chat_span_is_an_llm_call_with_model_provider_tokens_and_timing()
    {
        var span = NewSpan("chat gpt-4o", startSeconds: 2, durationMs: 1234.5, attributes:
        [
            ("gen_ai.operation.name", "chat"), ("gen_ai.provider.name", "openai"), ("gen_ai.request.model", "gpt-4o"),
            ("gen_ai.response.model", "gpt-4o-2024-08-06"), ("gen_ai.usage.input_tokens", 1000), ("gen_ai.usage.output_tokens", 200L),
            ("gen_ai.usage.cache_read.input_tokens", 400), ("gen_ai.request.temperature", 0.2), ("gen_ai.conversation.id", "conv_1"),
        ]);
        span.Kind = Span.Types.SpanKind.Client;
        var mapped = Assert.Single(Map(span, ("service.name", "support-bot")));
        Assert.Null(mapped.Error);
        var item = Assert.Single(mapped.Items);
        var e = Assert.Single(Parse(mapped.Items));

        Assert.Equal(EventId, e.Id);
        Assert.Equal(EventTypes.LlmCall, e.Type);
        Assert.Equal(TraceHex, e.RunId);
        Assert.Equal(RootId, e.ParentId);
        Assert.Equal("chat gpt-4o", e.Name);
        Assert.Equal("gpt-4o-2024-08-06", e.Model); // the response model: what actually answered
        Assert.Equal("openai", e.Provider);
        Assert.Equal((1000L, 200L, 400L), (e.TokensIn, e.TokensOut, e.TokensCached));
        Assert.Equal(Start.AddSeconds(2), e.Timestamp);
        Assert.Equal(Start.AddSeconds(2).AddMilliseconds(1234.5), e.EndedAt);
        Assert.Equal(1234, e.DurationMs);
        Assert.Equal("support-bot", AgentOf(item));

        // What was not mapped to a field stays, as metadata; what was mapped does not repeat there.
        var metadata = JsonNode.Parse(e.Metadata!)!.AsObject();
        Assert.Equal("chat", metadata["gen_ai.operation.name"]!.GetValue<string>());
        Assert.Equal(0.2, metadata["gen_ai.request.temperature"]!.GetValue<double>());
        Assert.Equal("conv_1", metadata["gen_ai.conversation.id"]!.GetValue<string>());
        Assert.Equal("client", metadata["otel.span_kind"]!.GetValue<string>());
        Assert.Equal("tests", metadata["otel.scope.name"]!.GetValue<string>());
        Assert.False(metadata.ContainsKey("gen_ai.usage.input_tokens"));
        Assert.False(metadata.ContainsKey("gen_ai.response.model"));
    }

    [Fact]
    public void Older_attribute_names_and_loosely_typed_counts_are_read_too()
    {
        var span = NewSpan("completion", attributes:
        [
            ("gen_ai.system", "az.ai.openai"), ("gen_ai.request.model", "gpt-4o-mini"),
            ("gen_ai.usage.prompt_tokens", "120"), ("gen_ai.usage.completion_tokens", 30.0),
        ]);
        var e = Assert.Single(Parse(Assert.Single(Map(span)).Items));
        Assert.Equal(EventTypes.LlmCall, e.Type); // a model and no operation: still a model call
        Assert.Equal("gpt-4o-mini", e.Model);
        Assert.Equal("az.ai.openai", e.Provider);
        Assert.Equal((120L, 30L, (long?)null), (e.TokensIn, e.TokensOut, e.TokensCached));
    }

    [Fact]
    public void Cache_reads_reported_beside_input_tokens_are_added_to_them()
    {
        var span = NewSpan("chat", attributes:
        [
            ("gen_ai.operation.name", "chat"), ("gen_ai.request.model", "claude-sonnet-4"),
            ("gen_ai.usage.input_tokens", 50), ("gen_ai.usage.cache_read.input_tokens", 900),
        ]);
        var e = Assert.Single(Parse(Assert.Single(Map(span)).Items));
        Assert.Equal((950L, 900L), (e.TokensIn, e.TokensCached));
    }

    [Fact]
    public void A_model_operation_without_a_model_is_kept_as_an_action()
    {
        var e = Assert.Single(Parse(Assert.Single(Map(NewSpan("embeddings", attributes: [("gen_ai.operation.name", "embeddings")]))).Items));
        Assert.Equal(EventTypes.ExternalAction, e.Type);
        Assert.Null(e.Model);
    }

    [Theory]
    [InlineData("execute_tool", "get_weather", "get_weather")]
    [InlineData(null, "get_weather", "get_weather")]
    [InlineData("execute_tool", null, "execute_tool lookup")]
    public void Tool_executions_are_tool_calls_with_their_arguments_and_result(string? operation, string? tool, string expectedTool)
    {
        var attributes = new List<(string, object)> { ("gen_ai.tool.call.arguments", """{"city":"Paris"}"""), ("gen_ai.tool.call.id", "call_1") };
        if (operation is not null) attributes.Add(("gen_ai.operation.name", operation));
        if (tool is not null) attributes.Add(("gen_ai.tool.name", tool));
        var span = NewSpan("execute_tool lookup", attributes: [.. attributes]);
        span.Attributes.Add(new KeyValue { Key = "gen_ai.tool.call.result", Value = new AnyValue { KvlistValue = new KeyValueList { Values = { Attribute("temp_c", 12), Attribute("sky", "rain") } } } });

        var e = Assert.Single(Parse(Assert.Single(Map(span)).Items));
        Assert.Equal(EventTypes.ToolCall, e.Type);
        Assert.Equal(expectedTool, e.ToolName);
        Assert.Equal("""{"city":"Paris"}""", e.Input);
        Assert.Equal("""{"temp_c":12,"sky":"rain"}""", e.Output);
        Assert.Null(e.Model);
        Assert.Contains("call_1", e.Metadata);
    }

    [Fact]
    public void A_root_span_also_starts_and_ends_its_run()
    {
        var root = NewSpan("support ticket #42", RootHex, parentHex: null, durationMs: 5000,
            attributes: [("gen_ai.operation.name", "invoke_agent"), ("gen_ai.input.messages", "help me")]);
        root.Status = new Status { Code = Status.Types.StatusCode.Ok };
        var mapped = Assert.Single(Map(root, ("service.name", "support-bot"), ("deployment.environment.name", "production"), ("service.version", "1.4.2")));
        var events = Parse(mapped.Items);

        Assert.Equal([RootId, RootId + ":start", RootId + ":end"], events.Select(e => e.Id));
        Assert.Equal([EventTypes.ExternalAction, EventTypes.RunStart, EventTypes.RunEnd], events.Select(e => e.Type));
        Assert.All(events, e => Assert.Equal(TraceHex, e.RunId));
        Assert.All(events, e => Assert.Null(e.ParentId));
        Assert.All(events, e => Assert.Equal("production", e.Environment));
        var (action, start, end) = (events[0], events[1], events[2]);
        Assert.Equal("ok", action.Status);
        Assert.Equal("support ticket #42", start.Name);
        Assert.Equal(Start, start.Timestamp);
        Assert.Equal("help me", start.Input);
        Assert.Contains("1.4.2", start.Metadata); // the resource describes the run
        Assert.Equal(Start.AddSeconds(5), end.Timestamp);
        Assert.Equal(RunStatuses.Succeeded, end.Status);
        Assert.Null(end.Error);
    }

    [Fact]
    public void A_span_whose_parent_is_in_another_process_is_the_local_root_of_the_run()
    {
        var span = NewSpan("handle request");
        span.Flags = 0x301; // sampled, parent known to be remote
        Assert.Equal(3, Assert.Single(Map(span)).Items.Count);
        span.Flags = 0x101; // sampled, parent known to be local
        Assert.Single(Assert.Single(Map(span)).Items);
    }

    [Fact]
    public void An_error_status_fails_the_span_and_its_run_with_the_status_message()
    {
        var root = NewSpan("agent run", RootHex, parentHex: null);
        root.Status = new Status { Code = Status.Types.StatusCode.Error, Message = "rate limited by provider" };
        var events = Parse(Assert.Single(Map(root)).Items);
        Assert.Equal("rate limited by provider", events[0].Error);
        Assert.Equal("error", events[0].Status);
        Assert.Equal(RunStatuses.Failed, events[2].Status);
        Assert.Equal("rate limited by provider", events[2].Error);
    }

    [Fact]
    public void Without_a_status_message_the_error_is_the_recorded_exception_or_just_error()
    {
        var span = NewSpan("call", attributes: [("gen_ai.request.model", "gpt-4o")]);
        span.Status = new Status { Code = Status.Types.StatusCode.Error };
        Assert.Equal("error", Assert.Single(Parse(Assert.Single(Map(span)).Items)).Error);

        var exception = new Span.Types.Event { Name = "exception", TimeUnixNano = span.StartTimeUnixNano };
        exception.Attributes.Add(Attribute("exception.type", "System.TimeoutException"));
        exception.Attributes.Add(Attribute("exception.message", "The operation timed out."));
        span.Events.Add(exception);
        Assert.Equal("System.TimeoutException: The operation timed out.", Assert.Single(Parse(Assert.Single(Map(span)).Items)).Error);

        // An exception on a span that did not fail was handled: it is not the span's error.
        span.Status = null;
        Assert.Null(Assert.Single(Parse(Assert.Single(Map(span)).Items)).Error);
    }

    [Fact]
    public void Prompt_and_completion_events_become_input_and_output()
    {
        var span = NewSpan("chat", attributes: [("gen_ai.operation.name", "chat"), ("gen_ai.request.model", "gpt-4o")]);
        var prompt = new Span.Types.Event { Name = "gen_ai.content.prompt" };
        prompt.Attributes.Add(Attribute("gen_ai.prompt", "What is 2+2?"));
        var completion = new Span.Types.Event { Name = "gen_ai.content.completion" };
        completion.Attributes.Add(Attribute("gen_ai.completion", "4"));
        span.Events.Add(prompt);
        span.Events.Add(completion);
        var e = Assert.Single(Parse(Assert.Single(Map(span)).Items));
        Assert.Equal(("What is 2+2?", "4"), (e.Input, e.Output));
    }

    [Fact]
    public void The_agent_is_the_spans_genai_agent_then_the_resources_then_the_service_then_otel()
    {
        var named = NewSpan("step", attributes: [("gen_ai.agent.name", "Math Tutor")]);
        var unnamed = NewSpan("step");
        (string, object)[] resource = [("gen_ai.agent.name", "Fiction Writer"), ("service.name", "writers")];

        Assert.Equal("Math Tutor", AgentOf(Assert.Single(Map(named, resource)).Items[0]));
        Assert.Equal("Fiction Writer", AgentOf(Assert.Single(Map(unnamed, resource)).Items[0]));
        Assert.Equal("writers", AgentOf(Assert.Single(Map(unnamed, ("service.name", "writers"))).Items[0]));
        Assert.Equal(OtlpMapper.DefaultAgent, AgentOf(Assert.Single(Map(unnamed)).Items[0]));
        // The attribute is read, not copied into metadata; where the agent came from is.
        var metadata = Assert.Single(Parse(Assert.Single(Map(named)).Items)).Metadata ?? "";
        Assert.DoesNotContain("\"gen_ai.agent.name\":", metadata);
        Assert.Contains("\"otel.agent_from\":\"gen_ai.agent.name\"", metadata);
        Assert.Contains("\"otel.agent_from\":\"service.name\"", Assert.Single(Parse(Assert.Single(Map(unnamed, ("service.name", "writers"))).Items)).Metadata);
    }

    [Fact]
    public void A_span_without_its_own_agent_takes_the_gen_ai_agent_named_anywhere_in_its_trace_in_the_export()
    {
        // The child names no agent and comes first in the export; its trace's root names one: the child is the root's.
        var root = NewSpan("root", RootHex, parentHex: null, attributes: [("gen_ai.agent.name", "planner")]);
        var child = NewSpan("child");
        var mapped = OtlpMapper.Map(Request([child, root], ("service.name", "svc")));
        Assert.All(mapped.SelectMany(m => m.Items), item => Assert.Equal("planner", AgentOf(item)));
        Assert.All(Parse(mapped.SelectMany(m => m.Items).ToList()), e => Assert.Contains("\"otel.agent_from\":\"gen_ai.agent.name\"", e.Metadata));
        // Another trace in the same export does not borrow it.
        var other = NewSpan("other", "3333333333333333", parentHex: null);
        other.TraceId = Google.Protobuf.ByteString.CopyFrom(Enumerable.Repeat((byte)7, 16).ToArray());
        Assert.Equal("svc", AgentOf(OtlpMapper.Map(Request([root, other], ("service.name", "svc")))[1].Items[0]));
    }

    [Fact]
    public void An_agent_invocation_is_an_action_whose_usage_is_not_priced_twice()
    {
        var span = NewSpan("invoke_agent Math Tutor", attributes:
        [
            ("gen_ai.operation.name", "invoke_agent"), ("gen_ai.agent.name", "Math Tutor"), ("gen_ai.request.model", "gpt-4o"),
            ("gen_ai.usage.input_tokens", 5000), ("gen_ai.usage.output_tokens", 800),
        ]);
        var e = Assert.Single(Parse(Assert.Single(Map(span)).Items));
        Assert.Equal(EventTypes.ExternalAction, e.Type);
        Assert.Equal("invoke_agent Math Tutor", e.Name);
        Assert.Equal((null, null, null), (e.Model, e.TokensIn, e.TokensOut));
        var metadata = JsonNode.Parse(e.Metadata!)!.AsObject();
        Assert.Equal(5000, metadata["gen_ai.usage.input_tokens"]!.GetValue<long>());
        Assert.Equal("gpt-4o", metadata["gen_ai.request.model"]!.GetValue<string>());
    }

    [Fact]
    public void Other_spans_are_external_actions_named_after_the_span()
    {
        var span = NewSpan("GET /search", attributes: [("http.request.method", "GET"), ("url.full", "https://example.com/search?q=x"), ("http.response.status_code", 200)]);
        var e = Assert.Single(Parse(Assert.Single(Map(span)).Items));
        Assert.Equal(EventTypes.ExternalAction, e.Type);
        Assert.Equal("GET /search", e.Name);
        Assert.Contains("https://example.com/search?q=x", e.Metadata);
    }

    [Fact]
    public void Metadata_keeps_what_fits_in_16_KiB_and_counts_the_rest()
    {
        var span = NewSpan("big");
        for (var i = 0; i < 40; i++) span.Attributes.Add(Attribute($"attr.{i:D2}", new string('x', 2000)));
        span.Attributes.Add(Attribute("nested", "small"));
        var e = Assert.Single(Parse(Assert.Single(Map(span)).Items)); // the parser would refuse metadata over its limit
        var metadata = JsonNode.Parse(e.Metadata!)!.AsObject();
        Assert.True(System.Text.Encoding.UTF8.GetByteCount(e.Metadata!) <= IngestLimits.MaxMetadataBytes);
        Assert.True(metadata[OtlpMapper.DroppedAttributesKey]!.GetValue<int>() > 0);
        Assert.Equal("small", metadata["nested"]!.GetValue<string>()); // later, smaller attributes still fit
        // Long values are cut in metadata (not in inputs and outputs).
        Assert.Equal(OtlpMapper.MaxMetadataStringChars, metadata["attr.00"]!.GetValue<string>().Length);
    }

    [Fact]
    public void Deeply_nested_values_are_cut_at_a_fixed_depth()
    {
        var value = new AnyValue { StringValue = "leaf" };
        for (var i = 0; i < 20; i++) value = new AnyValue { ArrayValue = new ArrayValue { Values = { value } } };
        var json = OtlpMapper.ToJson(value, 0, truncate: true)!.ToJsonString();
        Assert.Contains("nested too deep", json);
        Assert.DoesNotContain("leaf", json);
    }

    [Theory]
    [InlineData("", ChildHex, "$.trace_id")]
    [InlineData("00000000000000000000000000000000", ChildHex, "$.trace_id")]
    [InlineData(TraceHex, "0000000000000000", "$.span_id")]
    [InlineData(TraceHex, "00f067", "$.span_id")]
    public void Spans_with_invalid_ids_are_refused_alone(string traceHex, string spanHex, string path)
    {
        var bad = NewSpan("bad");
        bad.TraceId = ByteString.CopyFrom(Convert.FromHexString(traceHex));
        bad.SpanId = ByteString.CopyFrom(Convert.FromHexString(spanHex));
        var mapped = OtlpMapper.Map(Request([bad, NewSpan("good", "1111111111111111")]));
        Assert.Equal("invalid_span", mapped[0].Error?.Code);
        Assert.Equal(path, mapped[0].Error?.Path);
        Assert.Empty(mapped[0].Items);
        Assert.Null(mapped[1].Error);
    }

    [Fact]
    public void An_all_zero_parent_is_no_parent_and_an_end_before_the_start_is_no_length()
    {
        var span = NewSpan("root-ish", parentHex: "0000000000000000");
        span.EndTimeUnixNano = span.StartTimeUnixNano - 1000;
        var events = Parse(Assert.Single(Map(span)).Items);
        Assert.Equal(3, events.Length);
        Assert.Null(events[0].ParentId);
        Assert.Equal((0L, (DateTimeOffset?)events[0].Timestamp), (events[0].DurationMs!.Value, events[0].EndedAt));
    }

    [Fact]
    public void The_same_span_always_maps_to_the_same_events()
    {
        var span = NewSpan("chat", attributes: [("gen_ai.operation.name", "chat"), ("gen_ai.request.model", "gpt-4o")]);
        Assert.Equal(
            JsonSerializer.Serialize(Assert.Single(Map(span)).Items),
            JsonSerializer.Serialize(Assert.Single(Map(span.Clone())).Items));
    }

    [Fact]
    public void The_response_counts_rejected_spans_and_summarizes_why()
    {
        Assert.Null(OtlpApi.Response(3, []).PartialSuccess);
        var failures = new List<(int, ItemError)>
        {
            (0, new ItemError("agent_paused", "The agent is paused.")),
            (0, new ItemError("agent_paused", "The agent is paused.")), // the same span's run.start: one span
            (2, new ItemError("agent_paused", "The agent is paused.")),
            (4, new ItemError("invalid_span", "span_id must be 8 bytes.")),
        };
        var partial = OtlpApi.Response(5, failures).PartialSuccess;
        Assert.Equal(3, partial.RejectedSpans);
        Assert.Equal("3 of 5 spans rejected. agent_paused (2 spans): The agent is paused. invalid_span (1 span): span_id must be 8 bytes.", partial.ErrorMessage);
    }
}
