using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.FileProviders;
using Microsoft.Net.Http.Headers;

namespace AgentOps.SelfHost;

/// <summary>
/// The dashboard's built files (web-static/dist, AGENTOPS_DASHBOARD_DIR) at <c>/</c>. Files under <c>assets/</c> carry a
/// content hash in their names, so they are cached for a year and never revalidated; everything else (index.html, which
/// names the current hashes) is revalidated on every load, so a deploy reaches the next page load.
/// </summary>
public static class Dashboard
{
    public const string ImmutableCacheControl = "public, max-age=31536000, immutable";
    public const string RevalidateCacheControl = "no-cache";

    public static IApplicationBuilder UseDashboard(this IApplicationBuilder app, string directory)
    {
        if (!File.Exists(Path.Combine(directory, "index.html")))
            throw new InvalidOperationException(
                $"AGENTOPS_DASHBOARD_DIR points at {directory}, which holds no index.html (build the dashboard: cd web-static && npm ci && npm run build).");
        var files = new PhysicalFileProvider(Path.GetFullPath(directory));
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
        return app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            OnPrepareResponse = file => file.Context.Response.Headers[HeaderNames.CacheControl] = CacheControlFor(file.Context.Request.Path),
        });
    }

    public static string CacheControlFor(PathString path) =>
        path.StartsWithSegments("/assets", StringComparison.Ordinal) ? ImmutableCacheControl : RevalidateCacheControl;
}
