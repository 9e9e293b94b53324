using AgentOps.Analytics.ClickHouse;

namespace AgentOps.Tests.Analytics;

public class ClickHouseErrorsTests
{
    [Fact]
    public void Parses_the_18_16_error_format()
    {
        var parsed = ClickHouseErrors.Parse("Code: 62, e.displayText() = DB::Exception: Syntax error: failed at position 1: SELEC 1\n. Expected one of: SELECT, e.what() = DB::Exception\n");
        Assert.Equal(62, parsed!.Value.Code);
        Assert.Equal("Syntax error: failed at position 1: SELEC 1\n. Expected one of: SELECT", parsed.Value.Message);
    }

    [Fact]
    public void Parses_the_newer_error_format_too()
    {
        var parsed = ClickHouseErrors.Parse("Code: 60. DB::Exception: Table default.nope does not exist. (UNKNOWN_TABLE) (version 23.8.1.1)");
        Assert.Equal(60, parsed!.Value.Code);
        Assert.Equal("Table default.nope does not exist. (UNKNOWN_TABLE)", parsed.Value.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("<html>Bad gateway</html>")]
    [InlineData("Ok.")]
    public void Text_that_is_not_a_ClickHouse_error_is_not_parsed(string body) => Assert.Null(ClickHouseErrors.Parse(body));

    [Fact]
    public void Long_messages_are_cut()
    {
        var parsed = ClickHouseErrors.Parse("Code: 62, e.displayText() = DB::Exception: " + new string('x', 5000) + ", e.what() = DB::Exception");
        Assert.Equal(ClickHouseErrors.MaxMessageLength + 1, parsed!.Value.Message.Length);
    }

    [Theory]
    [InlineData(500, 252, FailureKind.Backpressure)] // too many parts
    [InlineData(500, 241, FailureKind.Backpressure)] // memory limit
    [InlineData(500, 202, FailureKind.Backpressure)] // too many simultaneous queries
    [InlineData(503, null, FailureKind.Backpressure)]
    [InlineData(502, null, FailureKind.Transient)]   // a proxy in between
    [InlineData(500, 210, FailureKind.Transient)]    // network error inside the server
    [InlineData(400, 62, FailureKind.Query)]         // syntax
    [InlineData(404, 60, FailureKind.Query)]         // unknown table
    [InlineData(500, 395, FailureKind.Query)]        // throwIf: the query's own failure
    [InlineData(500, 159, FailureKind.Query)]        // max_execution_time: would fail again
    [InlineData(401, 193, FailureKind.Query)]        // wrong password
    public void Classifies_answers(int status, int? code, FailureKind expected) => Assert.Equal(expected, ClickHouseErrors.Classify(status, code));

    [Fact]
    public void Backpressure_answers_become_the_backpressure_exception()
    {
        var e = ClickHouseErrors.ToException(500, "Code: 252, e.displayText() = DB::Exception: Too many parts (300). Merges are processing significantly slower than inserts., e.what() = DB::Exception");
        var backpressure = Assert.IsType<ClickHouseBackpressureException>(e);
        Assert.Equal(252, backpressure.Code);
        Assert.StartsWith("ClickHouse error 252: Too many parts", backpressure.Message, StringComparison.Ordinal);
        Assert.IsType<ClickHouseException>(ClickHouseErrors.ToException(400, "Code: 62, e.displayText() = DB::Exception: Syntax error, e.what() = DB::Exception"));
        Assert.Equal("ClickHouse: HTTP 502: Bad gateway", ClickHouseErrors.ToException(502, "Bad gateway").Message);
    }

    [Theory]
    [InlineData(FailureKind.Network, 1, 4, true)]
    [InlineData(FailureKind.Timeout, 3, 4, true)]
    [InlineData(FailureKind.Backpressure, 3, 4, true)]
    [InlineData(FailureKind.Transient, 4, 4, false)] // budget spent
    [InlineData(FailureKind.Query, 1, 4, false)]     // never
    public void Retries_what_may_pass_within_the_budget(FailureKind kind, int attempt, int max, bool expected) =>
        Assert.Equal(expected, ClickHouseRetry.ShouldRetry(kind, attempt, max));

    [Fact]
    public void Backoff_doubles_is_capped_and_jittered_between_half_and_full()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(100), ClickHouseRetry.Delay(FailureKind.Network, 1, 0));
        Assert.Equal(TimeSpan.FromMilliseconds(200), ClickHouseRetry.Delay(FailureKind.Network, 1, 1));
        Assert.Equal(TimeSpan.FromMilliseconds(400), ClickHouseRetry.Delay(FailureKind.Network, 2, 1));
        Assert.Equal(ClickHouseRetry.MaxDelay, ClickHouseRetry.Delay(FailureKind.Timeout, 30, 1));
        Assert.Equal(TimeSpan.FromSeconds(2), ClickHouseRetry.Delay(FailureKind.Backpressure, 2, 1));
        Assert.Equal(ClickHouseRetry.BackpressureMaxDelay, ClickHouseRetry.Delay(FailureKind.Backpressure, 10, 1));
        for (var attempt = 1; attempt < 10; attempt++)
            Assert.True(ClickHouseRetry.Delay(FailureKind.Network, attempt + 1, 1) >= ClickHouseRetry.Delay(FailureKind.Network, attempt, 1));
    }

    [Fact]
    public void Settings_take_credentials_out_of_the_url()
    {
        var errors = new List<string>();
        var s = ClickHouseSettings.Parse("http://analytics:p%40ss@ch.internal:8123/agentops", "X", errors);
        Assert.Empty(errors);
        Assert.Equal(new Uri("http://ch.internal:8123/"), s.Endpoint);
        Assert.Equal(("analytics", "p@ss", "agentops"), (s.User, s.Password, s.Database));
        Assert.DoesNotContain("p@ss", s.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("p%40ss", s.ToString(), StringComparison.Ordinal);

        var bare = ClickHouseSettings.Parse("http://127.0.0.1:8123/", "X", errors);
        Assert.Equal(("default", null, "default"), (bare.User, bare.Password, bare.Database));
    }

    [Theory]
    [InlineData("http://127.0.0.1:8123/", ClickHouseCompression.Auto, false)]
    [InlineData("http://localhost:8123/", ClickHouseCompression.Auto, false)]
    [InlineData("http://[::1]:8123/", ClickHouseCompression.Auto, false)]
    [InlineData("http://ch.internal:8123/", ClickHouseCompression.Auto, true)]
    [InlineData("http://10.0.0.7:8123/", ClickHouseCompression.Auto, true)]
    [InlineData("http://127.0.0.1:8123/", ClickHouseCompression.Gzip, true)]
    [InlineData("http://ch.internal:8123/", ClickHouseCompression.None, false)]
    public void Inserts_are_gzipped_except_to_loopback_unless_configured(string url, ClickHouseCompression compression, bool gzip) =>
        Assert.Equal(gzip, (ClickHouseSettings.Parse(url, "X", []) with { Compression = compression }).CompressInserts);

    [Theory]
    [InlineData("not a url")]
    [InlineData("ftp://host/db")]
    [InlineData("http://host:8123/db;drop")]
    public void Bad_urls_are_refused_without_echoing_them(string url)
    {
        var errors = new List<string>();
        ClickHouseSettings.Parse(url, "AGENTOPS_CLICKHOUSE_URL", errors);
        Assert.Single(errors);
        Assert.DoesNotContain(url, errors[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Literals_are_formatted_from_typed_values()
    {
        Assert.Equal("toUUID('0195f3c2-7b1e-7cc0-9a55-1f0e5d1c2b3a')", ClickHouseSql.Uuid(Guid.Parse("0195f3c2-7b1e-7cc0-9a55-1f0e5d1c2b3a")));
        Assert.Equal("toDateTime('2026-03-04 05:06:07', 'UTC')", ClickHouseSql.DateTime(new DateTimeOffset(2026, 3, 4, 7, 6, 7, 900, TimeSpan.FromHours(2))));
        Assert.Equal(@"'it\'s a \\ test'", ClickHouseSql.String(@"it's a \ test"));
        Assert.Throws<ArgumentException>(() => ClickHouseSql.Name("events; DROP TABLE runs"));
    }
}
