using AgentOps.Providers.Resilience;

namespace AgentOps.Tests.Providers.Resilience;

public class AdaptiveConcurrencyTests
{
    [Fact]
    public void Aimd_halves_on_overload_down_to_one_and_adds_one_per_limit_successes_up_to_the_max()
    {
        Assert.Equal([4, 2, 1, 1], new[] { 8, 4, 3, 1 }.Select(Aimd.Decrease));
        var (limit, successes) = (4, 0);
        for (var i = 0; i < 3; i++) (limit, successes) = Aimd.Increase(limit, successes, maxLimit: 64);
        Assert.Equal((4, 3), (limit, successes));
        (limit, successes) = Aimd.Increase(limit, successes, maxLimit: 64);
        Assert.Equal((5, 0), (limit, successes));
        Assert.Equal((5, 0), Aimd.Increase(5, 4, maxLimit: 5));
        Assert.Equal([1, 1, 2, 4], new[] { 1, 2, 4, 8 }.Select(l => Aimd.BatchSlots(l, 0.5)));
    }

    [Fact]
    public void The_limiter_halves_on_a_429_and_grows_back_with_successes()
    {
        var limiter = new AdaptiveConcurrency(new ConcurrencyOptions { InitialLimit = 8, MaxLimit = 9 });
        limiter.OnOverload();
        Assert.Equal(4, limiter.Limit);
        for (var i = 0; i < 4; i++) limiter.OnSuccess();
        Assert.Equal(5, limiter.Limit);
        for (var i = 0; i < 100; i++) limiter.OnSuccess();
        Assert.Equal(9, limiter.Limit);
        for (var i = 0; i < 10; i++) limiter.OnOverload();
        Assert.Equal(1, limiter.Limit);
    }

    [Fact]
    public async Task An_interactive_waiter_is_served_before_a_batch_waiter_that_came_first()
    {
        var limiter = new AdaptiveConcurrency(new ConcurrencyOptions { InitialLimit = 1 });
        var held = await GrantedAsync(limiter, CallPriority.Interactive);
        var batch = limiter.AcquireAsync(CallPriority.Batch, null, default);
        var interactive = limiter.AcquireAsync(CallPriority.Interactive, null, default);
        Assert.Equal(2, limiter.Waiting);
        held.Dispose();
        var first = await interactive.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.NotNull(first.Lease);
        Assert.False(batch.IsCompleted);
        first.Lease!.Dispose();
        Assert.NotNull((await batch.WaitAsync(TimeSpan.FromSeconds(5))).Lease);
    }

    [Fact]
    public async Task Batch_calls_hold_at_most_their_share_and_an_interactive_call_finds_a_free_slot()
    {
        var limiter = new AdaptiveConcurrency(new ConcurrencyOptions { InitialLimit = 4, BatchShare = 0.5 });
        var b1 = await GrantedAsync(limiter, CallPriority.Batch);
        var b2 = await GrantedAsync(limiter, CallPriority.Batch);
        var b3 = limiter.AcquireAsync(CallPriority.Batch, null, default);
        Assert.False(b3.IsCompleted);
        var i1 = await GrantedAsync(limiter, CallPriority.Interactive);
        Assert.Equal(3, limiter.InFlight);
        // An interactive waiter ahead of it keeps the batch waiter out even when a slot frees.
        var i2 = await GrantedAsync(limiter, CallPriority.Interactive);
        var i3 = limiter.AcquireAsync(CallPriority.Interactive, null, default);
        b1.Dispose();
        Assert.NotNull((await i3.WaitAsync(TimeSpan.FromSeconds(5))).Lease);
        Assert.False(b3.IsCompleted);
        i1.Dispose();
        Assert.NotNull((await b3.WaitAsync(TimeSpan.FromSeconds(5))).Lease);
        b2.Dispose();
        i2.Dispose();
    }

    [Fact]
    public async Task A_full_queue_refuses_at_once_and_a_long_wait_is_refused_after_the_limit()
    {
        var limiter = new AdaptiveConcurrency(new ConcurrencyOptions { InitialLimit = 1, MaxQueueLength = 2, MaxQueueWait = TimeSpan.FromMilliseconds(150) });
        using var held = await GrantedAsync(limiter, CallPriority.Interactive);
        var w1 = limiter.AcquireAsync(CallPriority.Interactive, null, default);
        var w2 = limiter.AcquireAsync(CallPriority.Batch, null, default);
        var refused = await limiter.AcquireAsync(CallPriority.Interactive, null, default);
        Assert.Equal((null, ConcurrencyRefusal.QueueFull), refused);
        Assert.Equal((null, ConcurrencyRefusal.WaitedTooLong), await w1.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal((null, ConcurrencyRefusal.WaitedTooLong), await w2.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(0, limiter.Waiting);
    }

    [Fact]
    public async Task The_calls_remaining_time_bounds_the_wait_too()
    {
        var limiter = new AdaptiveConcurrency(new ConcurrencyOptions { InitialLimit = 1, MaxQueueWait = TimeSpan.FromSeconds(30) });
        using var held = await GrantedAsync(limiter, CallPriority.Interactive);
        var waiting = limiter.AcquireAsync(CallPriority.Interactive, TimeSpan.FromMilliseconds(20), default);
        Assert.Equal(ConcurrencyRefusal.WaitedTooLong, (await waiting.WaitAsync(TimeSpan.FromSeconds(10))).Refusal);
    }

    [Fact]
    public async Task A_cancelled_waiter_leaves_the_queue_and_a_released_lease_counts_once()
    {
        var limiter = new AdaptiveConcurrency(new ConcurrencyOptions { InitialLimit = 1 });
        var held = await GrantedAsync(limiter, CallPriority.Interactive);
        using var cts = new CancellationTokenSource();
        var waiting = limiter.AcquireAsync(CallPriority.Interactive, null, cts.Token);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal(0, limiter.Waiting);
        held.Dispose();
        held.Dispose();
        Assert.Equal(0, limiter.InFlight);
        Assert.True(limiter.IsIdle);
    }

    [Fact]
    public async Task A_grown_limit_lets_waiters_in()
    {
        var limiter = new AdaptiveConcurrency(new ConcurrencyOptions { InitialLimit = 1 });
        using var held = await GrantedAsync(limiter, CallPriority.Interactive);
        var waiting = limiter.AcquireAsync(CallPriority.Interactive, null, default);
        limiter.OnSuccess(); // 1 success at limit 1: the limit becomes 2
        Assert.NotNull((await waiting.WaitAsync(TimeSpan.FromSeconds(5))).Lease);
    }

    [Fact]
    public async Task Under_contention_no_more_than_the_limit_run_and_every_interactive_call_starts_before_any_queued_batch_call()
    {
        var limiter = new AdaptiveConcurrency(new ConcurrencyOptions { InitialLimit = 3, MaxLimit = 3, MaxQueueWait = TimeSpan.FromSeconds(30) });
        var gate = await GrantedAsync(limiter, CallPriority.Interactive); // hold one slot so every call below queues
        var g2 = await GrantedAsync(limiter, CallPriority.Interactive);
        var g3 = await GrantedAsync(limiter, CallPriority.Interactive);
        var order = new List<CallPriority>();
        var running = 0;
        var peak = 0;
        async Task Call(CallPriority p)
        {
            var (lease, _) = await limiter.AcquireAsync(p, null, default);
            Assert.NotNull(lease);
            lock (order)
            {
                order.Add(p);
                peak = Math.Max(peak, ++running);
            }
            await Task.Delay(5);
            lock (order) running--;
            lease!.Dispose();
        }
        var calls = Enumerable.Range(0, 40).Select(i => Call(i % 2 == 0 ? CallPriority.Batch : CallPriority.Interactive)).ToList();
        while (limiter.Waiting < 40) await Task.Delay(5);
        gate.Dispose();
        g2.Dispose();
        g3.Dispose();
        await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.True(peak <= 3, $"peak {peak}");
        // Grants go interactive first; a batch call granted as the last interactive ones still start may record
        // itself before them, by at most the limit.
        Assert.All(order.Take(20 - 3), p => Assert.Equal(CallPriority.Interactive, p));
        Assert.True(order.LastIndexOf(CallPriority.Interactive) < 20 + 3, string.Join(",", order));
    }

    private static async Task<ConcurrencyLease> GrantedAsync(AdaptiveConcurrency limiter, CallPriority priority)
    {
        var (lease, refusal) = await limiter.AcquireAsync(priority, null, default);
        Assert.Null(refusal);
        return lease!;
    }
}
