using System.Text.Json;
using AgentOps.Platform;
using AgentOps.Platform.Database;
using AgentOps.Platform.Http;

namespace AgentOps.Tests.Platform;

public class JsonAndErrorsTests
{
    private sealed record Patch(Optional<string> Name, Optional<string> Team);
    private sealed record Create(string? Name, int? Count);

    [Fact]
    public void Optional_tells_absent_from_null()
    {
        var absent = JsonSerializer.Deserialize<Patch>("""{"name":"x"}""", Json.Options)!;
        Assert.True(absent.Name.IsSet);
        Assert.False(absent.Team.IsSet);
        var cleared = JsonSerializer.Deserialize<Patch>("""{"team":null}""", Json.Options)!;
        Assert.True(cleared.Team.IsSet);
        Assert.Null(cleared.Team.Value);
    }

    [Theory]
    [InlineData("""{"name":"x","nmae":"y"}""", 400, "unknown_field", "$.nmae")]
    [InlineData("""{"name":"x","count":"many"}""", 400, "type_mismatch", "$.count")]
    [InlineData("""{"name":""", 400, "malformed_json", null)]
    public void Json_errors_become_problems_with_a_code_and_a_path(string body, int status, string code, string? path)
    {
        var e = Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<Create>(body, Json.Options));
        var problem = ErrorHandlingMiddleware.Translate(AsBinding(e));
        Assert.Equal(status, problem.Status);
        Assert.Equal(code, problem.Code);
        if (path is not null) Assert.Contains(path, problem.Errors!.Keys);
        Assert.DoesNotContain("System.", problem.Detail ?? "");
    }

    /// <summary>How minimal APIs' body binding reports a JSON failure (RouteHandlerOptions.ThrowOnBadRequest).</summary>
    internal static Exception AsBinding(JsonException e) =>
        new Microsoft.AspNetCore.Http.BadHttpRequestException("Failed to read parameter \"Create body\" from the request body as JSON.", e);

    [Fact]
    public void A_json_failure_of_the_servers_own_is_a_500_not_the_clients_malformed_json()
    {
        var e = Assert.ThrowsAny<JsonException>(() => JsonSerializer.Serialize(JsonDocument.Parse(new string('[', 40) + new string(']', 40)).RootElement,
            new JsonSerializerOptions { MaxDepth = 8 }));
        Assert.Equal((500, "internal_error"), (ErrorHandlingMiddleware.Translate(e).Status, ErrorHandlingMiddleware.Translate(e).Code));
    }

    [Fact]
    public void Unexpected_exceptions_reveal_nothing()
    {
        var problem = ErrorHandlingMiddleware.Translate(new InvalidOperationException("secret connection string Password=hunter2"));
        Assert.Equal(500, problem.Status);
        Assert.Equal("internal_error", problem.Code);
        Assert.DoesNotContain("hunter2", problem.Detail);
    }

    [Fact]
    public void Validation_collects_every_error_by_path()
    {
        var v = new Validation();
        v.RequiredText("$.name", null, 10);
        v.Email("$.email", "not-an-email");
        v.Text("$.team", new string('x', 11), 10);
        var refusal = Assert.Throws<DomainError>(v.ThrowIfInvalid);
        Assert.Equal(DomainErrorKind.Invalid, refusal.Kind);
        Assert.Equal(["$.email", "$.name", "$.team"], refusal.Errors.Keys.Order());
    }

    [Fact]
    public void Domain_refusals_become_the_problems_the_api_documents()
    {
        var invalid = ErrorHandlingMiddleware.Translate(DomainError.Invalid("$.name", "is required."));
        Assert.Equal((422, "validation_failed"), (invalid.Status, invalid.Code));
        Assert.Equal(["is required."], invalid.Errors!["$.name"]);
        var unknown = ErrorHandlingMiddleware.Translate(DomainError.Unprocessable("unknown_agent", "No agent with this id.",
            new Dictionary<string, string[]> { ["$.agent"] = ["is not an agent of this organization."] }));
        Assert.Equal((422, "unknown_agent", "No agent with this id."), (unknown.Status, unknown.Code, unknown.Detail));
        Assert.Equal(["$.agent"], unknown.Errors!.Keys);
        Assert.Null(ErrorHandlingMiddleware.Translate(DomainError.Unprocessable("history_unavailable", "None kept.")).Errors);
        var missing = ErrorHandlingMiddleware.Translate(DomainError.NotFound("agent"));
        Assert.Equal((404, "not_found"), (missing.Status, missing.Code));
        var taken = ErrorHandlingMiddleware.Translate(DomainError.Conflict("agent_exists", "Taken."));
        Assert.Equal((409, "agent_exists"), (taken.Status, taken.Code));
        Assert.Equal(403, ErrorHandlingMiddleware.Translate(DomainError.Forbidden("forbidden", "No.")).Status);
        Assert.Equal(401, ErrorHandlingMiddleware.Translate(DomainError.Unauthenticated("session_revoked", "Log in again.")).Status);
        Assert.Equal(410, ErrorHandlingMiddleware.Translate(DomainError.Gone("invitation_expired", "Ask for a new one.")).Status);
    }

    [Theory]
    [InlineData("Ada@Example.COM ", "ada@example.com", true)]
    [InlineData("a@b", null, false)]
    [InlineData("two@@example.com", null, false)]
    [InlineData("Ada <ada@example.com>", null, false)]
    public void Emails_are_normalised_and_checked(string input, string? expected, bool valid)
    {
        var v = new Validation();
        var email = v.Email("$.email", input);
        Assert.Equal(valid, v.IsValid);
        if (valid) Assert.Equal(expected, email);
    }

    [Fact]
    public void Pages_say_whether_there_is_more()
    {
        var ids = Enumerable.Range(0, 4).Select(_ => Guid.CreateVersion7()).ToList();
        var full = Paging.Of(ids, 3, id => id);
        Assert.Equal(3, full.Items.Count);
        Assert.Equal(ids[2].ToString(), full.NextCursor);
        Assert.Null(Paging.Of(ids[..3], 3, id => id).NextCursor);
        Assert.Equal("validation_failed", Assert.Throws<DomainError>(() => Paging.Parse(0, null)).Code);
        Assert.Equal("validation_failed", Assert.Throws<DomainError>(() => Paging.Parse(10, "nope")).Code);
    }

    [Fact]
    public void Migrations_are_numbered_without_gaps_and_checksummed()
    {
        Assert.NotEmpty(Migrator.Embedded);
        Assert.Equal(Enumerable.Range(1, Migrator.Embedded.Count), Migrator.Embedded.Select(m => m.Version));
        Assert.All(Migrator.Embedded, m => Assert.Equal(64, m.Checksum.Length));
    }
}

public class OptionalPathTests
{
    private sealed record Patch(Optional<string> Name, Optional<int> Count);

    [Fact]
    public void A_wrong_type_in_a_patch_field_names_that_field()
    {
        var e = Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<Patch>("""{"name":"x","count":"many"}""", Json.Options));
        var problem = ErrorHandlingMiddleware.Translate(JsonAndErrorsTests.AsBinding(e));
        Assert.Equal("type_mismatch", problem.Code);
        Assert.Contains("$.count", problem.Errors!.Keys);
    }
}

public class BindingErrorTests
{
    [Theory]
    [InlineData("Failed to bind parameter \"DateTimeOffset? from\" from \"somebody\".", "invalid_parameter")]
    [InlineData("Failed to bind parameter \"int? limit\" from \"x\".", "invalid_parameter")]
    [InlineData("Required parameter \"SignupRequest body\" was not provided from body.", "body_required")]
    public void Binding_failures_name_what_was_wrong(string message, string code) =>
        Assert.Equal(code, ErrorHandlingMiddleware.Translate(new Microsoft.AspNetCore.Http.BadHttpRequestException(message)).Code);

    [Fact]
    public void The_parameter_is_named_in_the_errors() =>
        Assert.Contains("from", ErrorHandlingMiddleware.Translate(new Microsoft.AspNetCore.Http.BadHttpRequestException("Failed to bind parameter \"DateTimeOffset? from\" from \"somebody\".")).Errors!.Keys);
}
