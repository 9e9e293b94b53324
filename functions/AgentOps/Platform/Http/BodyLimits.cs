using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;

namespace AgentOps.Platform.Http;

/// <summary>Endpoint metadata: this route accepts bodies up to the given size (<see cref="RequestSizeMiddleware"/> enforces it).</summary>
public sealed record BodyLimit(long? MaxRequestBodySize) : IRequestSizeLimitMetadata;

/// <summary>Rejects bodies above the endpoint's limit before they are read (Content-Length), and caps streamed ones.</summary>
public sealed class RequestSizeMiddleware(RequestDelegate next, AgentOpsOptions options)
{
    /// <summary>The body size the matched endpoint accepts: its own declared limit, else AGENTOPS_MAX_REQUEST_BYTES.</summary>
    public static long LimitFor(HttpContext context, AgentOpsOptions options) =>
        context.GetEndpoint()?.Metadata.GetMetadata<IRequestSizeLimitMetadata>()?.MaxRequestBodySize
        ?? options.MaxRequestBytes;

    public Task InvokeAsync(HttpContext context)
    {
        var limit = LimitFor(context, options);
        if (context.Request.ContentLength > limit)
            throw new ApiProblem(413, "payload_too_large", "Payload too large", $"The request body is larger than this endpoint's limit of {limit} bytes.");
        var feature = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (feature is { IsReadOnly: false }) feature.MaxRequestBodySize = limit;
        return next(context);
    }
}
