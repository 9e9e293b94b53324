using System.Net;
using System.Net.Sockets;

namespace AgentOps.Platform;

/// <summary>
/// Which addresses count as public (pure). Outbound calls whose target a tenant chooses (webhooks, provider
/// connections) must not reach our own network (SSRF): loopback, private, link-local (the metadata service) and the
/// other special-purpose ranges are refused unless a setting allows them.
/// </summary>
public static class NetworkAddresses
{
    /// <summary>Null when the address is public (an outbound call chosen by a tenant may connect to it); otherwise what it is ("a loopback address (127.0.0.1)").</summary>
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

    /// <summary>
    /// Opens a connection to a tenant-chosen endpoint (a SocketsHttpHandler's ConnectCallback): resolves the host, keeps
    /// the public addresses (all of them when <paramref name="allowPrivate"/>), connects to one of those. Checking the
    /// address connected to, not the name, is what stops DNS rebinding. Refused: the exception <paramref name="refuse"/>
    /// makes of the reason, ending with <paramref name="rule"/>.
    /// </summary>
    public static async ValueTask<Stream> ConnectPublicAsync(SocketsHttpConnectionContext context, bool allowPrivate, Func<string, Exception> refuse, string rule,
        CancellationToken ct)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct);
        var allowed = allowPrivate ? addresses : addresses.Where(a => Refusal(a) is null).ToArray();
        if (allowed.Length == 0)
            throw refuse(addresses.Length == 0 ? $"{host} resolves to no address." : $"Refused to connect: {host} is {Refusal(addresses[0])}; {rule}");
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
