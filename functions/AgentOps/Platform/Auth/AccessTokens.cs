using System.Security.Claims;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace AgentOps.Platform.Auth;

/// <summary>
/// Short-lived access tokens: HS256 JWTs naming the user, the organization and the login session (refresh family).
/// The session is checked on every request, so logout and reuse detection take effect at once, not at expiry.
/// </summary>
public sealed class AccessTokens(AgentOpsOptions options, TimeProvider time)
{
    private const string Issuer = "agentops";
    private const string Audience = "agentops-api";
    private readonly SymmetricSecurityKey _key = new(options.JwtSigningKey);
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };

    public sealed record Claims(Guid UserId, Guid OrgId, Guid SessionFamilyId);

    public (string Token, int ExpiresInSeconds) Issue(Guid userId, Guid orgId, Guid familyId)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var token = _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + options.AccessTokenLifetime,
            Claims = new Dictionary<string, object>
            {
                ["sub"] = userId.ToString(),
                ["org"] = orgId.ToString(),
                ["sid"] = familyId.ToString(),
            },
            SigningCredentials = new SigningCredentials(_key, SecurityAlgorithms.HmacSha256),
        });
        return (token, (int)options.AccessTokenLifetime.TotalSeconds);
    }

    /// <summary>The claims of a valid token, or null with the reason ("token_expired" or "invalid_token").</summary>
    public async Task<(Claims? Claims, string? Error)> ValidateAsync(string token)
    {
        var result = await _handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = Issuer,
            ValidAudience = Audience,
            IssuerSigningKey = _key,
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            ClockSkew = TimeSpan.FromSeconds(30),
            LifetimeValidator = (notBefore, expires, _, _) =>
            {
                var now = time.GetUtcNow().UtcDateTime;
                return expires is { } e && e > now - TimeSpan.FromSeconds(30) && (notBefore is not { } nb || nb <= now + TimeSpan.FromSeconds(30));
            },
        });
        if (!result.IsValid)
            return (null, result.Exception is SecurityTokenInvalidLifetimeException or SecurityTokenExpiredException ? "token_expired" : "invalid_token");
        var identity = result.ClaimsIdentity;
        return Guid.TryParse(identity.FindFirst("sub")?.Value, out var user)
               && Guid.TryParse(identity.FindFirst("org")?.Value, out var org)
               && Guid.TryParse(identity.FindFirst("sid")?.Value, out var sid)
            ? (new Claims(user, org, sid), null)
            : (null, "invalid_token");
    }
}
