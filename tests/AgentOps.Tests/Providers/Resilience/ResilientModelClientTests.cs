using System.Diagnostics;
using AgentOps.Providers;
using AgentOps.Providers.RateBudgets;
using AgentOps.Providers.Resilience;
using static AgentOps.Tests.Providers.ProviderTestData;

namespace AgentOps.Tests.Providers.Resilience;

/// <summary>
/// The resilient client end to end: the real adapters against the fake servers that speak each provider's wire format
/// (429s with their real rate-limit headers, 5xx, slow answers, streams cut mid-way), a real in-process rate budget,
/// and the real breakers and limiters. Nothing of ours is mocked.
/// </summary>
public sealed class ResilientModelClientTests : IAsyncLifetime
{
    private const string Claude = "claude-sonnet-4-5";
    private const string Gemini = "gemini-2.5-flash";
    private static readonly Guid Org = Guid.Parse("0199a000-0000-7000-8000-000000000001");

    private FakeOpenAiServer _openAi = null!;
    private FakeAnthropicServer _anthropic = null!;
    private FakeGeminiServer _gemini = null!;
    private readonly HttpClient _http = new();
    private readonly TestRateBudget _budget = new();
    private ResilienceRegistry _registry = null!;
    private ResilientModelClient _client = null!;

    public async Task InitializeAsync()
    {
        _openAi = await FakeOpenAiServer.StartAsync(Secret);
        _anthropic = await FakeAnthropicServer.StartAsync(Secret);
        _gemini = await FakeGeminiServer.StartAsync(Secret);
        Use(new ResilienceOptions { BaseDelay = TimeSpan.FromMilliseconds(10), MaxDelay = TimeSpan.FromMilliseconds(100) });
    }

    public async Task DisposeAsync()
    {
        await _openAi.DisposeAsync();
        await _anthropic.DisposeAsync();
        await _gemini.DisposeAsync();
        _http.Dispose();
    }

    private void Use(ResilienceOptions options)
    {
        _registry = new ResilienceRegistry(options, TimeProvider.System);
        _client = new ResilientModelClient(_registry, _budget, TimeProvider.System, random: new Random(7));
    }

    private ModelTarget OpenAi(TimeSpan? timeout = null) => new(
        new OpenAiChatAdapter(_http, new OpenAiChatOptions { BaseUrl = new Uri(_openAi.BaseUrl, "v1/"), Timeout = timeout ?? TimeSpan.FromSeconds(30) }),
        Credential, "gpt-4o", "openai-main/gpt-4o", new RateKey(Org, "openai", "gpt-4o"));

    private ModelTarget Anthropic() => new(
        new AnthropicMessagesAdapter(_http, new AnthropicMessagesOptions { BaseUrl = _anthropic.BaseUrl, Timeout = TimeSpan.FromSeconds(30) }),
        Credential, Claude, "anthropic-main/" + Claude, new RateKey(Org, "anthropic", Claude));

    private ModelTarget GeminiTarget() => new(
        new GeminiAdapter(_http, new GeminiOptions { BaseUrl = _gemini.BaseUrl, Timeout = TimeSpan.FromSeconds(30) }),
        Credential, Gemini, "gemini-main/" + Gemini, new RateKey(Org, "gemini", Gemini));

    private static ModelRequest Request => Simple("ignored: each target names its model");

    [Fact]
    public async Task A_429_is_retried_after_the_retry_after_the_provider_sent_and_the_limiter_saw_it()
    {
        _openAi.RetryAfterMs = 300;
        _openAi.Then(OpenAiScenario.RateLimited, OpenAiScenario.Text);
        var target = OpenAi();
        var clock = Stopwatch.StartNew();

        var answer = await _client.CompleteAsync(Request, [target, Anthropic()]);

        // Timers tick in whole milliseconds: a wait may end a fraction of one early by the stopwatch.
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(298), $"waited only {clock.Elapsed}");
        Assert.Equal(FakeOpenAiServer.Text, answer.Result.Content);
        Assert.Same(target, answer.Target);
        Assert.Equal(2, _openAi.Requests.Count);
        Assert.Empty(_anthropic.Requests);
        Assert.Collection(answer.Attempts,
            a => Assert.Equal((0, 1, AttemptOutcome.Failed, ProviderErrorKind.RateLimited, 429), (a.Target, a.Attempt, a.Outcome, a.Kind!.Value, a.StatusCode!.Value)),
            a =>
            {
                Assert.Equal((0, 2, AttemptOutcome.Succeeded), (a.Target, a.Attempt, a.Outcome));
                Assert.True(a.Waited >= TimeSpan.FromMilliseconds(298), $"logged wait {a.Waited}");
            });
        Assert.Contains("retry-after 0.3 s", answer.Attempts[0].Detail);
        // The 429 halved the deployment's limit (8 → 4); one success is not yet enough to add one back.
        Assert.Equal(ConcurrencyOptions.DefaultInitialLimit / 2, _registry.For(target.DeploymentKey).Concurrency.Limit);
        // Both attempts reserved and settled: the 429 with no tokens and the headers it carried, the answer with its usage.
        Assert.Equal(0, _budget.Open);
        var settled = _budget.Settled.ToList();
        Assert.Equal(2, settled.Count);
        Assert.Equal((0L, 0L, 12L), (settled[0].UsedTokens, settled[0].Observed!.RemainingRequests!.Value, settled[0].Observed!.RemainingTokens!.Value));
        Assert.Equal(1268, settled[1].UsedTokens);
        Assert.True(settled[0].Reservation.ReservedTokens > TokenEstimate.DefaultOutputTokens);
    }

    [Fact]
    public async Task Repeated_5xx_spend_the_attempts_on_one_provider_then_fall_back_to_another()
    {
        _openAi.RetryAfterMs = 20;
        _openAi.Scenario = OpenAiScenario.ServerError;

        var answer = await _client.CompleteAsync(Request, [OpenAi(), Anthropic()]);

        Assert.Equal(FakeAnthropicServer.Text, answer.Result.Content);
        Assert.Equal(Claude, answer.Target.Model);
        Assert.Equal(Backoff.MaxAttempts, _openAi.Requests.Count);
        Assert.Single(_anthropic.Requests);
        Assert.Equal(
            [(0, 1, AttemptOutcome.Failed), (0, 2, AttemptOutcome.Failed), (0, 3, AttemptOutcome.Failed), (1, 1, AttemptOutcome.Succeeded)],
            answer.Attempts.Select(a => (a.Target, a.Attempt, a.Outcome)));
        Assert.All(answer.Attempts.Take(3), a => Assert.Equal((ProviderErrorKind.Overloaded, 500), (a.Kind!.Value, a.StatusCode!.Value)));
        Assert.Contains("attempts made: next target", answer.Attempts[2].Detail);
        Assert.Equal(0, _budget.Open);
    }

    [Fact]
    public async Task A_slow_answer_times_out_and_the_retry_succeeds()
    {
        _openAi.Then(OpenAiScenario.Slow, OpenAiScenario.Text);

        var answer = await _client.CompleteAsync(Request, [OpenAi(timeout: TimeSpan.FromMilliseconds(300))]);

        Assert.Equal(FakeOpenAiServer.Text, answer.Result.Content);
        Assert.Equal([(AttemptOutcome.Failed, (ProviderErrorKind?)ProviderErrorKind.Timeout), (AttemptOutcome.Succeeded, null)],
            answer.Attempts.Select(a => (a.Outcome, a.Kind)));
        Assert.InRange(answer.Attempts[0].Duration.TotalMilliseconds, 250, 5_000);
    }

    [Fact]
    public async Task A_503_from_gemini_is_retried_on_gemini()
    {
        _gemini.Then(GeminiScenario.Unavailable, GeminiScenario.Text);

        var answer = await _client.CompleteAsync(Request, [GeminiTarget(), OpenAi()]);

        Assert.Equal(FakeGeminiServer.Text, answer.Result.Content);
        Assert.Equal(2, _gemini.Requests.Count);
        Assert.Empty(_openAi.Requests);
        Assert.Equal(503, answer.Attempts[0].StatusCode);
    }

    [Fact]
    public async Task A_retry_after_beyond_the_deadline_moves_to_the_next_target_at_once()
    {
        _anthropic.Scenario = AnthropicScenario.RateLimited; // retry-after: 30
        var clock = Stopwatch.StartNew();

        var answer = await _client.CompleteAsync(Request, [Anthropic(), OpenAi()], new ModelCallOptions { Timeout = TimeSpan.FromSeconds(10) });

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
        Assert.Equal(FakeOpenAiServer.Text, answer.Result.Content);
        Assert.Single(_anthropic.Requests);
        Assert.Contains("would pass the call's deadline", answer.Attempts[0].Detail);
    }

    [Fact]
    public async Task A_stream_cut_after_output_ends_with_an_error_after_the_partial_deltas_and_never_falls_back()
    {
        _openAi.Scenario = OpenAiScenario.StreamCut;
        var stream = _client.StreamAsync(Request, [OpenAi(), Anthropic()]);

        var (deltas, error) = await DrainAsync(stream);

        Assert.Equal(["Hello", " there,"], deltas.OfType<TextDelta>().Select(d => d.Text));
        Assert.DoesNotContain(deltas, d => d is FinishDelta);
        Assert.Equal(ProviderErrorKind.StreamCut, Assert.IsType<ProviderException>(error).Kind);
        Assert.Single(_openAi.Requests);
        Assert.Empty(_anthropic.Requests);
        var last = Assert.Single(stream.Attempts);
        Assert.Equal((AttemptOutcome.Failed, ProviderErrorKind.StreamCut), (last.Outcome, last.Kind!.Value));
        Assert.Contains("no retry or fallback", last.Detail);
        Assert.Equal(0, _budget.Open);
    }

    [Fact]
    public async Task An_error_event_inside_a_stream_after_output_ends_it_with_that_error()
    {
        _openAi.Scenario = OpenAiScenario.StreamError;

        var (deltas, error) = await DrainAsync(_client.StreamAsync(Request, [OpenAi(), Anthropic()]));

        Assert.Equal(2, deltas.Count);
        Assert.Equal(ProviderErrorKind.Overloaded, Assert.IsType<ProviderException>(error).Kind);
        Assert.Empty(_anthropic.Requests);
    }

    [Fact]
    public async Task A_stream_that_ends_without_finishing_is_never_a_silent_truncation()
    {
        _anthropic.Scenario = AnthropicScenario.StreamEndsEarly;

        var (deltas, error) = await DrainAsync(_client.StreamAsync(Request, [Anthropic(), OpenAi()]));

        Assert.NotEmpty(deltas);
        Assert.Equal(ProviderErrorKind.StreamCut, Assert.IsType<ProviderException>(error).Kind);
        Assert.Empty(_openAi.Requests);
    }

    [Fact]
    public async Task A_stream_failing_before_its_first_delta_falls_back_and_the_answer_streams_from_the_next_provider()
    {
        _openAi.RetryAfterMs = 20;
        _openAi.Scenario = OpenAiScenario.ServerError;
        var stream = _client.StreamAsync(Request, [OpenAi(), Anthropic()], ModelCallOptions.Batch);

        var result = await ModelStreamAssembler.CollectAsync(stream);

        Assert.Equal(FakeAnthropicServer.Text, result.Content);
        Assert.Equal(Claude, stream.Target!.Model);
        Assert.Equal(Backoff.MaxAttempts, _openAi.Requests.Count);
        Assert.Equal([AttemptOutcome.Failed, AttemptOutcome.Failed, AttemptOutcome.Failed, AttemptOutcome.Succeeded], stream.Attempts.Select(a => a.Outcome));
        Assert.Equal(0, _budget.Open);
        Assert.Equal(result.Usage.InputTokens + result.Usage.OutputTokens, _budget.Settled.Last().UsedTokens);
    }

    [Fact]
    public async Task A_stream_cut_before_any_output_is_retried_on_the_same_target()
    {
        _gemini.Then(GeminiScenario.ServerError, GeminiScenario.Text);

        var result = await ModelStreamAssembler.CollectAsync(_client.StreamAsync(Request, [GeminiTarget()]));

        Assert.Equal(FakeGeminiServer.Text, result.Content);
        Assert.Equal(2, _gemini.Requests.Count);
    }

    [Fact]
    public async Task The_breaker_opens_after_repeated_failures_and_later_calls_skip_the_deployment()
    {
        Use(new ResilienceOptions
        {
            BaseDelay = TimeSpan.FromMilliseconds(5), MaxDelay = TimeSpan.FromMilliseconds(20), MaxAttemptsPerTarget = 2,
            Breaker = new CircuitBreakerOptions { FailureThreshold = 2, Cooldown = TimeSpan.FromMinutes(5) },
        });
        _openAi.RetryAfterMs = 5;
        _openAi.Scenario = OpenAiScenario.ServerError;
        var openAi = OpenAi();

        var first = await _client.CompleteAsync(Request, [openAi, Anthropic()]);
        Assert.Equal(CircuitState.Open, _registry.For(openAi.DeploymentKey).Breaker.State);
        var second = await _client.CompleteAsync(Request, [openAi, Anthropic()]);

        Assert.Equal(2, _openAi.Requests.Count); // the second call never reached it
        Assert.Equal(2, _anthropic.Requests.Count);
        Assert.Equal(FakeAnthropicServer.Text, second.Result.Content);
        Assert.Equal([AttemptOutcome.SkippedCircuitOpen, AttemptOutcome.Succeeded], second.Attempts.Select(a => a.Outcome));
        Assert.Equal(2, first.Attempts.Count(a => a.Outcome == AttemptOutcome.Failed));
        Assert.Equal(0, _budget.Open);
    }

    [Fact]
    public async Task A_spent_rate_budget_skips_the_target_without_calling_it()
    {
        var openAi = OpenAi();
        _budget.Limit(openAi.RateKey, 0);

        var answer = await _client.CompleteAsync(Request, [openAi, Anthropic()]);

        Assert.Empty(_openAi.Requests);
        Assert.Equal(FakeAnthropicServer.Text, answer.Result.Content);
        Assert.Equal(AttemptOutcome.SkippedBudgetExhausted, answer.Attempts[0].Outcome);
        Assert.Contains("requests per minute", answer.Attempts[0].Detail);
    }

    [Fact]
    public async Task With_nothing_left_to_try_one_error_says_why_for_every_target()
    {
        _budget.RefillIn = TimeSpan.FromSeconds(12);
        var openAi = OpenAi();
        _budget.Limit(openAi.RateKey, 0);
        _anthropic.Scenario = AnthropicScenario.Unauthorized;

        var e = await Assert.ThrowsAsync<ModelCallFailedException>(() => _client.CompleteAsync(Request, [openAi, Anthropic()]));

        Assert.Equal(ProviderErrorKind.Unauthorized, e.Kind);
        Assert.Equal(TimeSpan.FromSeconds(12), e.RetryAfter);
        Assert.Contains("openai/gpt-4o: rate budget (requests per minute) spent", e.Message);
        Assert.Contains($"anthropic/{Claude}: 1 attempt, Unauthorized (401)", e.Message);
        Assert.DoesNotContain(Secret, e.Message, StringComparison.Ordinal);
        Assert.Equal(2, e.Attempts.Count);
        Assert.Single(_anthropic.Requests); // a refused credential is not retried
        Assert.Equal(0, _budget.Open);
    }

    [Fact]
    public async Task A_request_the_provider_refuses_as_such_stops_the_chain()
    {
        _openAi.Scenario = OpenAiScenario.ContentFilter;

        var e = await Assert.ThrowsAsync<ModelCallFailedException>(() => _client.CompleteAsync(Request, [OpenAi(), Anthropic()]));

        Assert.Equal(ProviderErrorKind.ContentBlocked, e.Kind);
        Assert.Equal(400, e.StatusCode);
        Assert.StartsWith("The model call was refused", e.Message);
        Assert.Contains("1 target not tried", e.Message);
        Assert.Single(_openAi.Requests);
        Assert.Empty(_anthropic.Requests);
        Assert.IsType<ProviderException>(e.InnerException);
    }

    [Fact]
    public async Task The_call_deadline_bounds_every_target_and_attempt()
    {
        _openAi.Scenario = OpenAiScenario.Slow;
        _anthropic.Scenario = AnthropicScenario.Slow;
        var clock = Stopwatch.StartNew();

        var e = await Assert.ThrowsAsync<ModelCallFailedException>(() =>
            _client.CompleteAsync(Request, [OpenAi(), Anthropic()], new ModelCallOptions { Timeout = TimeSpan.FromMilliseconds(400) }));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4), $"took {clock.Elapsed}");
        Assert.Equal(ProviderErrorKind.Timeout, e.Kind);
        Assert.Equal(AttemptOutcome.DeadlineExceeded, e.Attempts[^1].Outcome);
        Assert.Empty(_anthropic.Requests);
        Assert.Equal(0, _budget.Open);
    }

    [Fact]
    public async Task The_callers_cancellation_surfaces_as_such_and_settles_the_reservation()
    {
        _openAi.Scenario = OpenAiScenario.Slow;
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _client.CompleteAsync(Request, [OpenAi(), Anthropic()], ct: cts.Token));

        Assert.Empty(_anthropic.Requests);
        Assert.Equal(0, _budget.Open);
        Assert.Equal(0, _registry.For(OpenAi().DeploymentKey).Concurrency.InFlight);
    }

    [Fact]
    public async Task A_full_concurrency_queue_skips_to_the_next_target()
    {
        Use(new ResilienceOptions { Concurrency = new ConcurrencyOptions { InitialLimit = 1, MaxQueueLength = 0 } });
        var openAi = OpenAi();
        using var held = (await _registry.For(openAi.DeploymentKey).Concurrency.AcquireAsync(CallPriority.Interactive, null, default)).Lease;

        var answer = await _client.CompleteAsync(Request, [openAi, Anthropic()]);

        Assert.Empty(_openAi.Requests);
        Assert.Equal(AttemptOutcome.SkippedConcurrency, answer.Attempts[0].Outcome);
        Assert.Equal(0, _budget.Open);
    }

    [Fact]
    public async Task After_the_cooldown_one_probe_goes_to_the_deployment_and_its_success_closes_the_circuit()
    {
        var time = new ManualTime(DateTimeOffset.UtcNow);
        _registry = new ResilienceRegistry(new ResilienceOptions
        {
            BaseDelay = TimeSpan.FromMilliseconds(5), MaxDelay = TimeSpan.FromMilliseconds(20), MaxAttemptsPerTarget = 1,
            Breaker = new CircuitBreakerOptions { FailureThreshold = 1, Cooldown = TimeSpan.FromSeconds(30) },
        }, time);
        _client = new ResilientModelClient(_registry, _budget, time);
        _openAi.Then(OpenAiScenario.ServerError, OpenAiScenario.Text);
        var openAi = OpenAi();
        await _client.CompleteAsync(Request, [openAi, Anthropic()]);
        Assert.Equal(CircuitState.Open, _registry.For(openAi.DeploymentKey).Breaker.State);

        time.Advance(TimeSpan.FromSeconds(30));
        var probe = await _client.CompleteAsync(Request, [openAi, Anthropic()]);

        Assert.Same(openAi, probe.Target);
        Assert.Equal(CircuitState.Closed, _registry.For(openAi.DeploymentKey).Breaker.State);
        Assert.Single(_anthropic.Requests);
    }

    [Fact]
    public async Task An_invalid_request_stops_the_chain_before_anything_is_sent()
    {
        var invalid = Request with { Temperature = 7 };

        var e = await Assert.ThrowsAsync<ModelCallFailedException>(() => _client.CompleteAsync(invalid, [OpenAi(), Anthropic()]));

        Assert.Equal(ProviderErrorKind.BadRequest, e.Kind);
        Assert.Contains("temperature", e.Message);
        Assert.Empty(_openAi.Requests);
        Assert.Empty(_anthropic.Requests);
        Assert.Equal(0, _budget.Open);
        Assert.Equal(CircuitSnapshot.Initial, _registry.For(OpenAi().DeploymentKey).Breaker.Snapshot); // the request's fault, not the deployment's
    }

    [Fact]
    public async Task A_reader_that_stops_early_releases_the_slot_and_settles_the_reservation()
    {
        var target = OpenAi();
        var stream = _client.StreamAsync(Request, [target]);
        await foreach (var delta in stream)
            if (delta is TextDelta) break;

        Assert.Equal(0, _budget.Open);
        Assert.Equal(0, _registry.For(target.DeploymentKey).Concurrency.InFlight);
        Assert.Equal(AttemptOutcome.Cancelled, Assert.Single(stream.Attempts).Outcome);
        Assert.Throws<InvalidOperationException>(() => stream.GetAsyncEnumerator());
    }

    [Fact]
    public async Task A_finished_stream_is_the_same_answer_as_the_call_and_reports_success()
    {
        var target = Anthropic();
        var stream = _client.StreamAsync(Request, [target]);

        var streamed = await ModelStreamAssembler.CollectAsync(stream);
        var completed = await _client.CompleteAsync(Request, [target]);

        AssertSameResult(completed.Result, streamed);
        Assert.Equal(AttemptOutcome.Succeeded, Assert.Single(stream.Attempts).Outcome);
        Assert.Equal(0, _registry.For(target.DeploymentKey).Concurrency.InFlight);
        Assert.Equal(streamed.Usage.InputTokens + streamed.Usage.OutputTokens, _budget.Settled.First().UsedTokens);
    }

    [Fact]
    public async Task A_slot_is_not_held_during_the_backoff_wait()
    {
        _openAi.RetryAfterMs = 1000;
        _openAi.Then(OpenAiScenario.RateLimited, OpenAiScenario.Text);
        var target = OpenAi();
        var limiter = _registry.For(target.DeploymentKey).Concurrency;

        var call = _client.CompleteAsync(Request, [target]);
        while (_openAi.Requests.IsEmpty) await Task.Delay(5);
        var freedBetweenAttempts = false;
        while (_openAi.Requests.Count == 1 && !call.IsCompleted && !freedBetweenAttempts)
        {
            freedBetweenAttempts = limiter.InFlight == 0;
            await Task.Delay(5);
        }
        await call;

        Assert.True(freedBetweenAttempts);
        Assert.Equal(2, _openAi.Requests.Count);
        Assert.Equal(0, limiter.InFlight);
    }

    [Fact]
    public void The_registry_forgets_the_least_recently_used_idle_deployments_and_never_an_open_one()
    {
        var registry = new ResilienceRegistry(new ResilienceOptions { MaxDeployments = 10, Breaker = new CircuitBreakerOptions { FailureThreshold = 1 } }, TimeProvider.System);
        registry.For("open").Breaker.OnFailure(new ProviderException(ProviderErrorKind.Overloaded, "500", 500));
        for (var i = 0; i < 50; i++) registry.For($"d{i}");
        Assert.InRange(registry.Count, 1, 11);
        Assert.Equal(CircuitState.Open, registry.For("open").Breaker.State);
    }
}
