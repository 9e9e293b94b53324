namespace AgentOps.Functions.Api;

// Route prefix: host.json sets extensions.http.routePrefix to "" (empty), so every Route below is the full path, written
// exactly as the self-host maps it (/api/health, /api/v1/...). Keep the two in step: a route here that differs from the
// self-host's is a bug.
//
// Each trigger only translates: bind (Http.Bind), then call the SAME public static handler the self-host maps and
// return its TypedResults value (an IResult, which the ASP.NET Core integration executes). Access is not checked
// here: AgentOpsHttpMiddleware checks the permission declared by [Requires(...)] / [AnonymousRoute] before the
// function runs, as the self-host's Access.Middleware does before the endpoint.
