using AgentOps.Platform;
using AgentOps.Platform.Auth;

namespace AgentOps.Tests.Platform;

public class AccessTokensTests
{
    private static AgentOpsOptions Options(byte[]? key = null) => new()
    {
        DatabaseConnectionString = "Host=unused",
        JwtSigningKey = key ?? new byte[32],
        AccessTokenLifetime = TimeSpan.FromMinutes(15),
    };

    [Fact]
    public async Task A_token_validates_until_it_expires()
    {
        var time = new ManualTime(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var tokens = new AccessTokens(Options(), time);
        var (user, org, family) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        var (token, expiresIn) = tokens.Issue(user, org, family);
        Assert.Equal(900, expiresIn);

        var (claims, error) = await tokens.ValidateAsync(token);
        Assert.Null(error);
        Assert.Equal(new AccessTokens.Claims(user, org, family), claims);

        time.Now += TimeSpan.FromMinutes(16);
        Assert.Equal("token_expired", (await tokens.ValidateAsync(token)).Error);
    }

    [Fact]
    public async Task A_token_signed_with_another_key_or_altered_is_invalid()
    {
        var time = new ManualTime(DateTimeOffset.UtcNow);
        var (token, _) = new AccessTokens(Options(Enumerable.Repeat((byte)7, 32).ToArray()), time).Issue(Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        var mine = new AccessTokens(Options(), time);
        Assert.Equal("invalid_token", (await mine.ValidateAsync(token)).Error);
        Assert.Equal("invalid_token", (await mine.ValidateAsync("not.a.token")).Error);
        var (good, _) = mine.Issue(Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        var parts = good.Split('.');
        var tampered = parts[0] + "." + parts[1].Replace('A', 'B') + "." + parts[2];
        if (tampered != good) Assert.Equal("invalid_token", (await mine.ValidateAsync(tampered)).Error);
    }
}
