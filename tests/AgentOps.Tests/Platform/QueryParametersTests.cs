using AgentOps.Platform.Http;

namespace AgentOps.Tests.Platform;

public class QueryParametersTests
{
    private static readonly HashSet<string> Declared = new(["limit", "cursor", "status"], StringComparer.OrdinalIgnoreCase);

    [Fact]
    public void Undeclared_names_are_reported_once_in_order() =>
        Assert.Equal(["cache", "stauts"], QueryParameters.Unknown(["stauts", "limit", "cache", "stauts", "Status"], Declared));

    [Fact]
    public void Declared_names_match_case_insensitively_like_binding() =>
        Assert.Empty(QueryParameters.Unknown(["LIMIT", "Cursor"], Declared));

    [Fact]
    public void The_problem_names_each_parameter()
    {
        var p = QueryParameters.Problem(["a", "b"]);
        Assert.Equal((400, "unknown_parameter"), (p.Status, p.Code));
        Assert.Equal(["a", "b"], p.Errors!.Keys.Order());
        Assert.Contains("a, b", p.Detail);
    }
}
