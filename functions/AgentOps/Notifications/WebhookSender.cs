using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace AgentOps.Notifications;

/// <summary>One delivery attempt's input: where, signed with what, and the exact body.</summary>
public sealed record WebhookRequest(Guid DeliveryId, string Url, string Secret, string Kind, string Body);

/// <summary>What one attempt did. <see cref="Permanent"/>: the target was refused, so retrying is pointless.</summary>
public sealed record WebhookAttempt(bool Succeeded, int? StatusCode, string? Error, TimeSpan Duration, bool Permanent = false);

/// <summary>Webhook secrets and signatures (pure): what a receiver needs to verify a delivery is in docs/notifications.md.</summary>
public static class WebhookSigning
{
    public const string SecretMarker = "whsec_";
    public const string SignatureHeader = "AgentOps-Signature";
    public const string DeliveryHeader = "AgentOps-Delivery";
    public const string EventHeader = "AgentOps-Event";

    /// <summary>whsec_ + 43 base64url characters (256 random bits).</summary>
    public static string NewSecret() => Secrets.CreateToken(SecretMarker);

    /// <summary>What listings show of a secret: its last 4 characters.</summary>
    public static string Hint(string secret) => "…" + secret[^4..];

    /// <summary>
    /// Stripe-style: <c>t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256(key: the secret's UTF-8 bytes, message: "&lt;t&gt;.&lt;body&gt;")&gt;</c>.
    /// The timestamp is signed too, so a receiver can refuse old (replayed) deliveries.
    /// </summary>
    public static string Signature(string secret, long unixSeconds, string body)
    {
        var t = unixSeconds.ToString(CultureInfo.InvariantCulture);
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(t + "." + body));
        return $"t={t},v1={Convert.ToHexStringLower(mac)}";
    }
}

/// <summary>
/// Sends webhook deliveries over HTTP. One long-lived client whose connections are opened by <see cref="ConnectAsync"/>:
/// it resolves the host itself and connects only to addresses <see cref="WebhookTargets.Refusal"/> allows (unless
/// AGENTOPS_WEBHOOKS_ALLOW_PRIVATE_TARGETS), so the check applies to the very address used, whatever DNS said when
/// the URL was saved. No proxy (it would be the address checked), no redirects (a 3xx is a failed attempt), 10 s per
/// attempt. The secret only ever leaves as the signature; nothing here logs.
/// </summary>
public sealed class WebhookSender : IDisposable
{
    public const string UserAgent = "AgentOps-Webhooks/1";
    public static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(10);
    /// <summary>Characters of a failed response's body kept in the delivery log (enough to see the receiver's error).</summary>
    public const int ResponseExcerptLength = 200;

    private readonly HttpClient _client;
    private readonly TimeProvider _time;
    private readonly bool _allowPrivate;

    public WebhookSender(WebhookOptions options, TimeProvider time)
    {
        _time = time;
        _allowPrivate = options.AllowPrivateTargets;
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            ConnectTimeout = AttemptTimeout,
            // Pooled connections are re-resolved (and re-checked) at least this often.
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectCallback = ConnectAsync,
        };
        _client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public async Task<WebhookAttempt> SendAsync(WebhookRequest delivery, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(AttemptTimeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, delivery.Url)
            {
                Content = new StringContent(delivery.Body, Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
            };
            request.Headers.TryAddWithoutValidation("User-Agent", UserAgent);
            request.Headers.Add(WebhookSigning.SignatureHeader, WebhookSigning.Signature(delivery.Secret, _time.GetUtcNow().ToUnixTimeSeconds(), delivery.Body));
            request.Headers.Add(WebhookSigning.DeliveryHeader, delivery.DeliveryId.ToString());
            request.Headers.Add(WebhookSigning.EventHeader, delivery.Kind);
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var status = (int)response.StatusCode;
            if (status is >= 200 and < 300) return new WebhookAttempt(true, status, null, clock.Elapsed);
            var excerpt = await ExcerptAsync(response, timeout.Token);
            var error = status is >= 300 and < 400
                ? $"The receiver answered {status} (redirects are not followed: use the final URL)."
                : $"The receiver answered {status}" + (excerpt.Length > 0 ? $": {excerpt}" : ".");
            return new WebhookAttempt(false, status, error, clock.Elapsed);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new WebhookAttempt(false, null, $"No answer within {AttemptTimeout.TotalSeconds:0} s.", clock.Elapsed);
        }
        catch (HttpRequestException e) when (Find<TargetRefusedException>(e) is { } refused)
        {
            return new WebhookAttempt(false, null, refused.Message, clock.Elapsed, Permanent: true);
        }
        catch (HttpRequestException e)
        {
            return new WebhookAttempt(false, null, Describe(e), clock.Elapsed);
        }
    }

    /// <summary>Opens each connection: resolve, keep the allowed addresses, connect to one of them.</summary>
    private ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct) =>
        NetworkAddresses.ConnectPublicAsync(context, _allowPrivate, message => new TargetRefusedException(message),
            "webhooks may only reach public addresses (AGENTOPS_WEBHOOKS_ALLOW_PRIVATE_TARGETS is off).", ct);

    private static async Task<string> ExcerptAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(ct);
            var buffer = new char[ResponseExcerptLength];
            using var reader = new StreamReader(stream, Encoding.UTF8);
            var read = await reader.ReadBlockAsync(buffer.AsMemory(), ct);
            // One line, printable: the log is shown in the dashboard and in JSON.
            return string.Concat(new string(buffer, 0, read).ReplaceLineEndings(" ").Where(c => !char.IsControl(c))).Trim();
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            return "";
        }
    }

    private static string Describe(HttpRequestException e) => e.HttpRequestError switch
    {
        HttpRequestError.NameResolutionError => "The host name could not be resolved.",
        HttpRequestError.ConnectionError => "Could not connect to the receiver" + (Find<SocketException>(e) is { } s ? $" ({s.SocketErrorCode})." : "."),
        HttpRequestError.SecureConnectionError => "The TLS handshake failed (check the receiver's certificate).",
        HttpRequestError.ResponseEnded => "The receiver closed the connection without an answer.",
        HttpRequestError.InvalidResponse => "The receiver's answer is not valid HTTP.",
        _ => "The request failed: " + e.HttpRequestError + ".",
    };

    private static T? Find<T>(Exception? e) where T : Exception
    {
        for (; e is not null; e = e.InnerException)
            if (e is T found) return found;
        return null;
    }

    public void Dispose() => _client.Dispose();

    /// <summary>The connection was refused by the address rule; its message is written for the delivery log.</summary>
    private sealed class TargetRefusedException(string message) : Exception(message);
}
