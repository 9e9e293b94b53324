using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;

namespace AgentOps;

/// <summary>
/// The whole HTTP application as one request delegate: the middleware of <see cref="AgentOpsApplication.UseAgentOps"/>
/// ending in the endpoints of <see cref="AgentOpsApplication.MapAgentOps"/>, the same two calls the self-host makes on
/// its WebApplication. It is for a host that receives requests itself and hands each one over — the Azure host's one
/// catch-all HTTP function — so that every route, permission, size limit and problem mapping is declared once.
/// Built once per host (a singleton): building it compiles every endpoint's request delegate.
/// </summary>
public sealed class AgentOpsRequestPipeline
{
    private readonly RequestDelegate _pipeline;

    public AgentOpsRequestPipeline(IServiceProvider services, AgentOpsOptions options)
    {
        var app = new ApplicationBuilder(services);
        app.UseAgentOps(options);
        EndpointDataSource? endpoints = null;
        app.UseEndpoints(routes =>
        {
            routes.MapAgentOps();
            endpoints = new CompositeEndpointDataSource(routes.DataSources);
        });
        Endpoints = endpoints!;
        _pipeline = app.Build();
    }

    /// <summary>Every endpoint the pipeline routes to (tests prove each is reachable through a host's dispatch).</summary>
    public EndpointDataSource Endpoints { get; }

    /// <summary>
    /// Runs the request through the pipeline. A host that routed the request to itself first (the Functions worker
    /// matches its catch-all route) clears its own endpoint and route values, or routing here would not run.
    /// </summary>
    public Task InvokeAsync(HttpContext context)
    {
        context.SetEndpoint(null);
        context.Request.RouteValues.Clear();
        return _pipeline(context);
    }
}
