using System.Net;
using System.Net.Sockets;

namespace AgentOps.Providers.Connections;

/// <summary>
/// The one HttpClient every connection's adapter calls through: pooled connections re-resolved every
/// <see cref="PooledConnectionLifetime"/> (no socket leak, DNS changes seen), no proxy and no redirects, and each
/// connection checked on the address it actually connects to, so a public name that resolves to a private address
/// (DNS rebinding) is refused too unless AGENTOPS_LLM_ALLOW_PRIVATE_ENDPOINTS allows it. Adapters apply their own
/// timeouts; the client's is off.
/// </summary>
public sealed class ProviderHttp : IDisposable
{
    /// <summary>How long a pooled connection lives before the name is resolved (and checked) again.</summary>
    public static readonly TimeSpan PooledConnectionLifetime = TimeSpan.FromMinutes(5);

    /// <summary>How long opening a TCP connection may take.</summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    private readonly bool _allowPrivate;

    public ProviderHttp(ProvidersOptions options)
    {
        _allowPrivate = options.AllowPrivateEndpoints;
        Client = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            ConnectTimeout = ConnectTimeout,
            PooledConnectionLifetime = PooledConnectionLifetime,
            ConnectCallback = ConnectAsync,
        }) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public HttpClient Client { get; }

    private ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct) =>
        NetworkAddresses.ConnectPublicAsync(context, _allowPrivate, message => new HttpRequestException(message),
            "provider connections may only reach public addresses (AGENTOPS_LLM_ALLOW_PRIVATE_ENDPOINTS is off).", ct);

    public void Dispose() => Client.Dispose();
}

/// <summary>Provider connections' settings, read and validated by <see cref="ProvidersModule"/>.</summary>
public sealed record ProvidersOptions
{
    /// <summary>
    /// Let connections reach loopback, private, link-local and other non-public addresses (and plain http to loopback).
    /// Off by default: an endpoint is chosen by an organization's admin and must not become a way into our own network.
    /// </summary>
    public bool AllowPrivateEndpoints { get; init; }

    /// <summary>Reads AGENTOPS_LLM_ALLOW_PRIVATE_ENDPOINTS (true or false).</summary>
    public static ProvidersOptions Read(Settings settings) => new() { AllowPrivateEndpoints = settings.Bool("AGENTOPS_LLM_ALLOW_PRIVATE_ENDPOINTS") };
}
