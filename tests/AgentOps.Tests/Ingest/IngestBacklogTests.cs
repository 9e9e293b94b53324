using AgentOps.Ingest;
using AgentOps.Platform;
using AgentOps.Platform.Http;

namespace AgentOps.Tests.Ingest;

public class IngestBacklogTests
{
    [Fact]
    public void Above_the_limit_ingest_sheds_with_503_and_retry_after()
    {
        var backlog = new IngestBacklog(new IngestOptions { MaxBacklogEvents = 1000 });
        backlog.Report(1000);
        backlog.ThrowIfOverloaded();
        backlog.Report(1001);
        var problem = Assert.Throws<ApiProblem>(backlog.ThrowIfOverloaded);
        Assert.Equal((503, "ingest_backlogged", 1), (problem.Status, problem.Code, problem.RetryAfterSeconds!.Value));
        backlog.Report(0);
        backlog.ThrowIfOverloaded();
    }
}
