using System.Text;
using System.Text.Json;
using AgentOps.Ingest;
using AgentOps.Platform;
using Npgsql;

namespace AgentOps.Tests.Ingest;

/// <summary>The poison-batch rule both runtimes apply: what fails again and again on a batch's own data is set aside, anything else is retried.</summary>
public class PoisonBatchesTests
{
    private static PostgresException Postgres(string sqlState) => new("refused", "ERROR", "ERROR", sqlState);

    [Theory]
    [InlineData("22P02")] // invalid text representation (a lone surrogate in jsonb)
    [InlineData("22003")] // numeric value out of range
    [InlineData("23505")] // unique violation
    [InlineData("23514")] // check violation
    public void Data_and_integrity_errors_are_poison(string sqlState) => Assert.True(PoisonBatches.IsPoison(Postgres(sqlState)));

    [Theory]
    [InlineData("40001")] // serialization failure
    [InlineData("40P01")] // deadlock
    [InlineData("57P01")] // admin shutdown
    [InlineData("53300")] // too many connections
    [InlineData("42P01")] // undefined table (a deployment out of step): retried, never set aside
    public void Other_database_errors_are_retried(string sqlState) => Assert.False(PoisonBatches.IsPoison(Postgres(sqlState)));

    [Fact]
    public void A_database_or_runtime_failure_is_retried()
    {
        Assert.False(PoisonBatches.IsPoison(new NpgsqlException("connection refused")));
        Assert.False(PoisonBatches.IsPoison(new TimeoutException()));
        Assert.False(PoisonBatches.IsPoison(new OperationCanceledException()));
    }

    [Theory]
    [InlineData("null")]
    [InlineData("{\"id\": 1}")]
    [InlineData("[{\"id\": ")]
    [InlineData("not json")]
    public void A_payload_that_is_not_an_array_of_events_fails_decoding_as_poison(string payload)
    {
        var e = Assert.ThrowsAny<JsonException>(() => BatchCodec.Decode(Encoding.UTF8.GetBytes(payload)));
        Assert.True(PoisonBatches.IsPoison(e));
    }

    [Fact]
    public void The_reason_stored_with_a_poison_batch_quotes_no_row_values()
    {
        var e = new PostgresException("invalid input syntax for type json", "ERROR", "ERROR", "22P02", detail: "Token \"secret-value\" is invalid.");
        Assert.Equal("22P02: invalid input syntax for type json", SafeErrors.Message(e));
    }
}
