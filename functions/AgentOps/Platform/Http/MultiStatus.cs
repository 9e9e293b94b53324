using System.Reflection;
using Microsoft.AspNetCore.Http.Metadata;

namespace AgentOps.Platform.Http;

/// <summary>
/// 207 Multi-Status with a JSON body: some items of a request were accepted and some not, with a result per item.
/// ASP.NET Core has no typed result for it; this one declares itself like the built-in ones do, so a handler returning
/// <c>Results&lt;Accepted&lt;T&gt;, MultiStatus&lt;T&gt;&gt;</c> shows both outcomes in the OpenAPI document.
/// </summary>
public sealed class MultiStatus<TValue>(TValue value) : IResult, IEndpointMetadataProvider, IStatusCodeHttpResult, IValueHttpResult, IValueHttpResult<TValue>
{
    public TValue Value { get; } = value;
    object? IValueHttpResult.Value => Value;
    public int StatusCode => StatusCodes.Status207MultiStatus;
    int? IStatusCodeHttpResult.StatusCode => StatusCode;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.StatusCode = StatusCode;
        return httpContext.Response.WriteAsJsonAsync(Value, Json.Options, httpContext.RequestAborted);
    }

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status207MultiStatus, typeof(TValue), ["application/json"]));
}
