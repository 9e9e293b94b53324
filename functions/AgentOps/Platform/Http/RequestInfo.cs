using System.Reflection;

namespace AgentOps.Platform.Http;

/// <summary>Who is on the other end of the wire, for the audit log. Bound from the request by minimal APIs.</summary>
public sealed record RequestInfo(string? Ip, string? UserAgent)
{
    /// <summary>User agents longer than this are cut before they are stored.</summary>
    public const int MaxUserAgentLength = 512;

    public static RequestInfo From(HttpContext context)
    {
        var ua = context.Request.Headers.UserAgent.ToString();
        return new(context.Connection.RemoteIpAddress?.ToString(), ua.Length == 0 ? null : ua[..Math.Min(ua.Length, MaxUserAgentLength)]);
    }

    public static ValueTask<RequestInfo?> BindAsync(HttpContext context, ParameterInfo _) => ValueTask.FromResult<RequestInfo?>(From(context));
}
