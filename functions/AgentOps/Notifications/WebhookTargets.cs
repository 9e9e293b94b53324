using System.Net;

namespace AgentOps.Notifications;

/// <summary>
/// Where a webhook may point (pure). An admin chooses the URL, so without a guard a webhook would let anyone with
/// that role make our servers call into our own network (SSRF): the metadata service, the database, localhost.
/// URLs are checked when they are saved (shape, scheme, literal addresses) and every connection is checked again on
/// the address it actually connects to (<see cref="WebhookSender"/>), so a name that later resolves elsewhere (DNS
/// rebinding) is caught too.
/// </summary>
public static class WebhookTargets
{
    public const int MaxUrlLength = 2000;

    /// <summary>Checks a URL as given by a client; adds errors at <paramref name="path"/>. Returns the parsed URL when valid.</summary>
    public static Uri? Check(Validation v, string path, string? url, bool allowPrivate)
    {
        url = url?.Trim();
        if (url is null) { v.Add(path, "is required."); return null; }
        if (url.Length > MaxUrlLength) { v.Add(path, $"must be at most {MaxUrlLength} characters."); return null; }
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http") || uri.Host.Length == 0)
        {
            v.Add(path, "must be an absolute https:// URL.");
            return null;
        }
        var problems = new List<string>();
        if (uri.Scheme == "http" && !allowPrivate)
            problems.Add("must use https (plain http is allowed only with AGENTOPS_WEBHOOKS_ALLOW_PRIVATE_TARGETS).");
        if (uri.UserInfo.Length > 0) problems.Add("must not carry a user name or password; receivers authenticate deliveries by their signature.");
        if (uri.Fragment.Length > 0) problems.Add("must not have a #fragment.");
        if (!allowPrivate)
        {
            if (IPAddress.TryParse(uri.IdnHost, out var literal) && Refusal(literal) is { } why)
                problems.Add($"must not point to {why}.");
            else if (uri.IdnHost.Equals("localhost", StringComparison.OrdinalIgnoreCase) || uri.IdnHost.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
                problems.Add("must not point to localhost.");
        }
        foreach (var problem in problems) v.Add(path, problem);
        return problems.Count == 0 ? uri : null;
    }

    /// <summary>Null when webhooks may connect to the address; otherwise what it is ("a loopback address (127.0.0.1)").</summary>
    public static string? Refusal(IPAddress address) => NetworkAddresses.Refusal(address);
}
