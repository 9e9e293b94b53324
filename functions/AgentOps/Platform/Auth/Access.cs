using System.Diagnostics;
using AgentOps.Platform.Telemetry;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOps.Platform.Auth;

/// <summary>Endpoint metadata: the one permission an operation needs.</summary>
public sealed record RequiresPermission(Permission Permission);

/// <summary>Endpoint metadata: the operation is open (signup, login, health).</summary>
public sealed record Anonymous;

/// <summary>
/// The single place access is decided, for both hosts: authenticate, apply the per-key rate limit, then the role
/// matrix. An endpoint without a declared permission or <see cref="Anonymous"/> is refused (fail closed);
/// static files have no endpoint and are public.
/// </summary>
public sealed class Access(Authenticator authenticator, RateLimits rateLimits)
{
    public async Task<Caller> AuthorizeAsync(HttpContext context, Permission permission, CancellationToken ct)
    {
        var credential = context.Request.Headers.Authorization.ToString().Contains(" " + Secrets.ApiKeyMarker, StringComparison.Ordinal) ? "api_key" : "token";
        try
        {
            var caller = await authenticator.AuthenticateAsync(context, ct);
            if (caller.Type == ActorType.ApiKey) rateLimits.ApiKey(caller.ActorId);
            if (!Rbac.Allows(caller, permission))
                throw Http.ApiProblem.Forbidden("forbidden", caller.Type == ActorType.ApiKey
                    ? "This API key's scopes do not allow this operation."
                    : "Your role does not allow this operation.");
            // A typed request feature, not a bag entry: the endpoint binds it (Caller.BindAsync) and nothing else can collide with it.
            context.Features.Set(caller);
            // The request span says who it served (ids only; never a credential).
            Activity.Current?.SetTag("agentops.org_id", caller.OrgId).SetTag("agentops.actor_type", caller.Type.ToString()).SetTag("enduser.id", caller.ActorId);
            AgentOpsTelemetry.AccessDecisions.Add(1, new("credential", credential), new("outcome", "ok"));
            return caller;
        }
        catch (Http.ApiProblem problem)
        {
            AgentOpsTelemetry.AccessDecisions.Add(1, new("credential", credential), new("outcome", problem.Code));
            throw;
        }
    }

    /// <summary>Middleware (after routing, before the endpoint and its parameter binding) for the self-host.</summary>
    public static async Task Middleware(HttpContext http, RequestDelegate next)
    {
        // Only mapped routes are checked; the router's own 405/415 answers are plain endpoints and run as they are.
        if (http.GetEndpoint() is RouteEndpoint { Metadata: var metadata } endpoint && metadata.GetMetadata<Anonymous>() is null)
        {
            var permission = metadata.GetMetadata<RequiresPermission>()?.Permission
                ?? throw new InvalidOperationException($"Endpoint {endpoint.DisplayName} declares neither a permission nor Anonymous.");
            await http.RequestServices.GetRequiredService<Access>().AuthorizeAsync(http, permission, http.RequestAborted);
        }
        await next(http);
    }
}

public static class AccessEndpointExtensions
{
    public static TBuilder Requires<TBuilder>(this TBuilder builder, Permission permission) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequiresPermission(permission));

    public static TBuilder Anonymous<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new Anonymous());
}
