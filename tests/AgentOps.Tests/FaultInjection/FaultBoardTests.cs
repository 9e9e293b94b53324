using AgentOps.FaultInjection;

namespace AgentOps.Tests.FaultInjection;

public class FaultBoardTests
{
    private static readonly Guid OrgA = Guid.NewGuid(), OrgB = Guid.NewGuid();

    private static FaultSpec Spec(int status, int times = 1, string path = "/api/v1/ingest", FaultTiming when = FaultTiming.Before) =>
        new(path, status, when, times, null);

    [Fact]
    public void Strikes_follow_the_order_armed_and_count_down()
    {
        var board = new FaultBoard();
        board.Arm(OrgA, Spec(500, times: 2));
        board.Arm(OrgA, Spec(429));
        board.Arm(OrgA, Spec(502, path: "/api/v1/other"));
        Assert.Equal([500, 500, 429], Enumerable.Range(0, 3).Select(_ => board.Strike(OrgA, "/API/V1/Ingest")!.Status));
        Assert.Null(board.Strike(OrgA, "/api/v1/ingest"));
        Assert.Null(board.Strike(OrgA, "/api/v1/ingest/run")); // exact paths only
        var faults = board.List(OrgA);
        Assert.Equal([2, 1, 0], faults.Select(f => f.Hits));
        Assert.Equal([0, 0, 1], faults.Select(f => f.Remaining));
    }

    [Fact]
    public void Organizations_neither_share_nor_clear_each_others_faults()
    {
        var board = new FaultBoard();
        board.Arm(OrgA, Spec(503));
        Assert.Null(board.Strike(OrgB, "/api/v1/ingest"));
        Assert.Empty(board.List(OrgB));
        board.Clear(OrgB);
        Assert.Equal(503, board.Strike(OrgA, "/api/v1/ingest")!.Status);
        board.Clear(OrgA);
        Assert.Empty(board.List(OrgA));
    }

    [Fact]
    public void An_organization_holds_at_most_the_limit()
    {
        var board = new FaultBoard();
        for (var i = 0; i < FaultBoard.MaxFaultsPerOrganization; i++) Assert.NotNull(board.Arm(OrgA, Spec(503)));
        Assert.Null(board.Arm(OrgA, Spec(503)));
        Assert.NotNull(board.Arm(OrgB, Spec(503)));
    }

    [Fact]
    public async Task Concurrent_requests_use_each_strike_exactly_once()
    {
        var board = new FaultBoard();
        board.Arm(OrgA, Spec(503, times: 100));
        board.Arm(OrgA, Spec(500, times: 100));
        var struck = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
            Enumerable.Range(0, 50).Select(_ => board.Strike(OrgA, "/api/v1/ingest")?.Status).ToList())));
        var all = struck.SelectMany(s => s).ToList();
        Assert.Equal(100, all.Count(s => s == 503));
        Assert.Equal(100, all.Count(s => s == 500));
        Assert.Equal(200, all.Count(s => s is null));
        Assert.All(board.List(OrgA), f => Assert.Equal((100, 0), (f.Hits, f.Remaining)));
    }

    [Theory]
    [InlineData("/api/v1/ingest", "/api/v1/ingest/")]
    [InlineData("/api/v1/ingest/", "/api/v1/ingest")]
    [InlineData("/api/v1/ingest//", "/API/v1/Ingest")]
    public void A_trailing_slash_does_not_matter_on_either_side(string armed, string requested)
    {
        var board = new FaultBoard();
        board.Arm(OrgA, Spec(503, path: armed));
        Assert.Equal(503, board.Strike(OrgA, requested)?.Status);
    }

    [Theory]
    [InlineData("/", "/")]
    [InlineData("//", "/")]
    [InlineData("/a/", "/a")]
    [InlineData("/a", "/a")]
    public void Paths_are_normalized_without_their_trailing_slashes(string path, string normalized) =>
        Assert.Equal(normalized, FaultBoard.NormalizePath(path));
}
