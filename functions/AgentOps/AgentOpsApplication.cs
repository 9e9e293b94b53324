using AgentOps.Agents;
using AgentOps.Demo;
using AgentOps.Approvals;
using AgentOps.Analytics;
using AgentOps.Analytics.ClickHouse;
using AgentOps.ApiKeys;
using AgentOps.Audit;
using AgentOps.Contracts;
using AgentOps.Controls;
using AgentOps.FaultInjection;
using AgentOps.Guardrails;
using AgentOps.Policies;
using AgentOps.Providers;
using AgentOps.Blobs;
using AgentOps.Budgets;
using AgentOps.Costs;
using AgentOps.Ingest;
using AgentOps.Jobs;
using AgentOps.Llm;
using AgentOps.Ingest.Otlp;
using AgentOps.Notifications;
using AgentOps.OrchestrationMonitor;
using AgentOps.Runs;
using AgentOps.Auth;
using AgentOps.Health;
using AgentOps.Live;
using AgentOps.Platform.Events;
using AgentOps.Platform.Live;
using AgentOps.Tenancy;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AgentOps;

/// <summary>The application as the hosts see it: its services, its middleware and its routes.</summary>
public static class AgentOpsApplication
{
    /// <summary>The features, one module each (registration and route order).</summary>
    public static readonly IReadOnlyList<IFeatureModule> Modules =
    [
        new HealthModule(), new AuthModule(), new TenancyModule(), new ApiKeysModule(), new AgentsModule(), new IngestModule(),
        new RunsModule(), new CostsModule(), new AuditModule(), new ControlsModule(), new PoliciesModule(), new BudgetsModule(),
        new ApprovalsModule(), new NotificationsModule(), new JobsModule(), new OrchestrationMonitorModule(), new AnalyticsModule(),
        new BlobsModule(), new DemoModule(), new LiveModule(), new ProvidersModule(), new GuardrailsModule(), new LlmModule(), new FaultInjectionModule(),
    ];

    public static IServiceCollection AddAgentOps(this IServiceCollection services, AgentOpsOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(_ =>
        {
            var builder = new NpgsqlDataSourceBuilder(options.DatabaseConnectionString);
            builder.ConnectionStringBuilder.ApplicationName ??= "agentops";
            return builder.Build();
        });
        services.AddSingleton<DomainEvents>();
        services.AddSingleton<Db>();
        services.AddSingleton<AccessTokens>();
        services.AddSingleton<Authenticator>();
        services.AddSingleton<RateLimits>();
        services.AddSingleton<Access>();
        // Live hints (Platform/Live): every replica listens for them and sends what its commits marked.
        services.AddSingleton<LiveHints>().AddHostedService(sp => sp.GetRequiredService<LiveHints>());
        foreach (var module in Modules) module.AddServices(services, options.Settings);
        options.Settings.ThrowIfInvalid();
        services.ConfigureHttpJsonOptions(o => Json.Configure(o.SerializerOptions));
        // Binding errors are thrown so the error middleware answers them as problems with a code.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddSingleton<QueryParameters>();
        services.AddReadCompression();
        services.AddOpenApi("v1", o =>
        {
            o.AddDocumentTransformer((doc, _, _) =>
            {
                doc.Info.Title = "AgentOps API";
                doc.Info.Description = "The control plane for AI agents. Errors are RFC 9457 problem details with a stable `code`.";
                return Task.CompletedTask;
            });
            OpenApiSchemas.Configure(o);
            OpenApiProblems.Configure(o);
        });
        return services;
    }

    /// <summary>
    /// Runs the decision-event buffer. Register it after the host's IAcceptedBatchSink (and its hosted service, if
    /// any): hosted services stop in reverse order, so the buffer flushes its last events while the sink still takes them.
    /// </summary>
    public static IServiceCollection AddDecisionEventBuffer(this IServiceCollection services) =>
        services.AddHostedService(sp => sp.GetRequiredService<DecisionEventBuffer>());

    /// <summary>
    /// The request pipeline: compression of reads (Platform/Http/Compression), errors as problems, the request head's size, routing, body size limit, access,
    /// armed faults (only with AGENTOPS_FAULT_INJECTION=true), unknown query
    /// parameters, the input gate (text, encoding, numbers, depth and duplicate keys, before anything reads the request),
    /// then the endpoint.
    /// </summary>
    public static IApplicationBuilder UseAgentOps(this IApplicationBuilder app, AgentOpsOptions options)
    {
        if (options.TrustForwardedHeaders) app.UseForwardedHeaders(ForwardedHeadersFromAnyProxy());
        app.UseReadCompression().UseMiddleware<ErrorHandlingMiddleware>().Use(RequestHead.Middleware).UseRouting().UseMiddleware<RequestSizeMiddleware>().Use(Access.Middleware);
        // Only with AGENTOPS_FAULT_INJECTION=true (SDK tests): armed faults answer in place of the endpoint.
        FaultInjectionModule.UseFaultInjection(app);
        return app.Use(QueryParameters.Middleware).UseMiddleware<InputGateMiddleware>();
    }

    /// <summary>X-Forwarded-For/-Proto from whatever front end sits before us (AGENTOPS_TRUST_FORWARDED_HEADERS).</summary>
    public static ForwardedHeadersOptions ForwardedHeadersFromAnyProxy()
    {
        var forwarded = new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto };
        forwarded.KnownIPNetworks.Clear();
        forwarded.KnownProxies.Clear();
        return forwarded;
    }

    public static IEndpointRouteBuilder MapAgentOps(this IEndpointRouteBuilder app)
    {
        app.MapOpenApi("/api/openapi.json").Anonymous();
        var v1 = app.MapGroup("/api/v1");
        foreach (var module in Modules) module.MapEndpoints(app, v1);
        return app;
    }

    /// <summary>
    /// Brings the database to what this build needs, as the schema owner, at start-up of either host: the migrations,
    /// then the reference data the application versions itself (the public model price list, Costs/PriceLists).
    /// </summary>
    public static async Task PrepareDatabaseAsync(string ownerConnectionString, ILogger logger, CancellationToken ct)
    {
        await Migrator.ApplyAsync(ownerConnectionString, logger, ct);
        await PriceLists.ApplyAsync(ownerConnectionString, PriceLists.Embedded, logger, ct);
    }

    /// <summary>
    /// Refuses to run as a role that would make row-level security moot: a superuser, a BYPASSRLS role, or the owner
    /// of the tables or a member of it (owners are exempt from their tables' policies).
    /// </summary>
    public static async Task AssertRoleRespectsRlsAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("""
            SELECT r.rolsuper OR r.rolbypassrls
                   OR EXISTS (SELECT 1 FROM pg_tables t WHERE t.tablename = 'organizations' AND pg_has_role(current_user, t.tableowner, 'MEMBER'))
            FROM pg_roles r WHERE r.rolname = current_user
            """);
        if (await cmd.ExecuteScalarAsync(ct) is true)
            throw new InvalidOperationException("AGENTOPS_DATABASE_URL logs in as a superuser, a BYPASSRLS role or the schema owner; use the agentops_app role (see docs/configuration.md).");
    }
}
