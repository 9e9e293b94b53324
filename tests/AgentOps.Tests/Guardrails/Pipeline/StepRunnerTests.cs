using AgentOps.Guardrails.Pipeline;

namespace AgentOps.Tests.Guardrails.Pipeline;

public sealed class StepRunnerTests
{
    private static readonly StepSpec Quick = new("quick", TimeSpan.FromMilliseconds(50));

    [Fact]
    public async Task A_result_nobody_set_denies()
    {
        var records = new List<StepRecord>();
        var r = await StepRunner.Run(Quick, () => default, records, default);
        Assert.Equal(StepVerdict.Deny, r.Verdict);
        Assert.Equal("denied", records.Single().Outcome);
    }

    [Fact]
    public async Task A_throwing_step_denies_by_default_and_is_skipped_only_when_declared_so()
    {
        var records = new List<StepRecord>();
        var denied = await StepRunner.Run(Quick, () => throw new InvalidOperationException("secret text"), records, default);
        Assert.Equal(("guardrail_unavailable", StepVerdict.Deny), (denied.Code, denied.Verdict));
        Assert.Equal(("failed", "InvalidOperationException"), (records[0].Outcome, records[0].Detail)); // the type, never the message
        var skipped = await StepRunner.Run(Quick with { OnFailure = StepFailure.Skip }, () => throw new InvalidOperationException(), records, default);
        Assert.Equal(StepVerdict.Continue, skipped.Verdict);
        Assert.Equal("skipped", records[1].Code);
    }

    [Fact]
    public async Task An_asynchronous_step_past_its_budget_is_cancelled_and_a_synchronous_overrun_is_not_used()
    {
        var records = new List<StepRecord>();
        var slow = await StepRunner.RunAsync(Quick, async ct => { await Task.Delay(5_000, ct); return StepResult.Continue; }, records, default);
        Assert.Equal(StepVerdict.Deny, slow.Verdict);
        Assert.Equal("timed_out", records[0].Outcome);
        var overrun = await StepRunner.Run(Quick, () => { Thread.Sleep(120); return StepResult.Continue; }, records, default);
        Assert.Equal(StepVerdict.Deny, overrun.Verdict);
        Assert.Equal("step_timed_out", records[1].Code);
    }

    [Fact]
    public async Task The_callers_cancellation_is_rethrown_not_turned_into_a_verdict()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            await StepRunner.RunAsync(Quick, async ct => { await Task.Delay(1000, ct); return StepResult.Continue; }, [], cts.Token));
    }
}
