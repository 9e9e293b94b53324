using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOps.Functions.Http;

/// <summary>
/// The whole HTTP API as one function: every path and method reaches the application's own request pipeline
/// (<see cref="AgentOpsRequestPipeline"/>), which routes, authenticates, checks the permission and size limits, runs
/// the endpoint and writes errors as problem details exactly as the self-host does. No route is declared here.
/// host.json sets extensions.http.routePrefix to "", so the paths are the self-host's (/api/health, /api/v1/...).
/// </summary>
public sealed class HttpApiFunction(AgentOpsRequestPipeline pipeline)
{
    [Function("Api")]
    public async Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", "put", "patch", "delete", "head", "options", Route = "{*path}")] HttpRequest request,
        [DurableClient] DurableTaskClient durable)
    {
        request.HttpContext.RequestServices.GetRequiredService<BoundDurableClient>().Client = durable;
        await pipeline.InvokeAsync(request.HttpContext);
        // The pipeline wrote the response. An IActionResult return gives the function the HTTP output binding the host
        // expects of an HTTP trigger; an empty one writes nothing more.
        return new EmptyResult();
    }
}
