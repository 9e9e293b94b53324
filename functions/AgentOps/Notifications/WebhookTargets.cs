using System.Net;
using System.Net.Sockets;

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
    public static string? Refusal(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        var kind = address.AddressFamily switch
        {
            AddressFamily.InterNetwork => V4Kind(address.GetAddressBytes()),
            AddressFamily.InterNetworkV6 => V6Kind(address),
            _ => "a non-IP address",
        };
        return kind is null ? null : $"{kind} ({address})";
    }

    private static string? V4Kind(byte[] b) => (b[0], b[1]) switch
    {
        (0, _) => "a \"this network\" address",
        (10, _) => "a private address",
        (100, >= 64 and <= 127) => "a shared (carrier-grade NAT) address",
        (127, _) => "a loopback address",
        (169, 254) => "a link-local address",
        (172, >= 16 and <= 31) => "a private address",
        (192, 0) when b[2] == 0 => "an IETF protocol address",
        (192, 0) when b[2] == 2 => "a documentation address",
        (192, 168) => "a private address",
        (198, 18 or 19) => "a benchmarking address",
        (198, 51) when b[2] == 100 => "a documentation address",
        (203, 0) when b[2] == 113 => "a documentation address",
        ( >= 224 and <= 239, _) => "a multicast address",
        ( >= 240, _) => "a reserved or broadcast address",
        _ => null,
    };

    private static string? V6Kind(IPAddress a)
    {
        var b = a.GetAddressBytes();
        if (a.Equals(IPAddress.IPv6Loopback)) return "a loopback address";
        if (a.Equals(IPAddress.IPv6Any)) return "an unspecified address";
        if (a.IsIPv6LinkLocal || a.IsIPv6SiteLocal) return "a link-local address";
        if (a.IsIPv6Multicast) return "a multicast address";
        if ((b[0] & 0xFE) == 0xFC) return "a private (unique local) address";
        if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0D && b[3] == 0xB8) return "a documentation address";
        // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) embed an IPv4 address: judge that one.
        if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B && b[4..12].All(x => x == 0)) return V4Kind(b[12..16]);
        if (b[0] == 0x20 && b[1] == 0x02) return V4Kind(b[2..6]);
        return null;
    }
}
