using System.Text;
using Microsoft.EntityFrameworkCore;
using Portal.Client;
using Portal.Core.Data;
using Portal.Core.Data.Import;

namespace Portal.Server.Apis;

/// <summary>Endpoints of the imports page that return files.</summary>
public static class ImportsApi
{
    /// <summary>
    /// Maps <c>GET /api/imports/{id}/rejections.csv</c>: the rejected rows of one import as CSV (UTF-8), written by
    /// <see cref="IImportService.WriteRejectionsCsvAsync"/>. 404 when there is no such import, 503 when no import
    /// service is registered. Administrators only.
    /// </summary>
    /// <param name="app">The endpoint builder.</param>
    public static IEndpointRouteBuilder MapImportsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet(PortalUrls.RejectionsCsvTemplate, async (int id, HttpContext http, CancellationToken ct) =>
        {
            var service = http.RequestServices.GetService<IImportService>();
            if (service is null)
                return Results.Problem("The import service is not available.", statusCode: StatusCodes.Status503ServiceUnavailable);
            // Check first so that a missing import answers 404 before any byte is sent; then stream.
            var contexts = http.RequestServices.GetRequiredService<IDbContextFactory<PortalDbContext>>();
            await using (var db = await contexts.CreateDbContextAsync(ct))
            {
                if (!await db.ImportRuns.AnyAsync(r => r.Id == id, ct))
                    return Results.NotFound($"No import {id}.");
            }
            return Results.Stream(async body =>
            {
                await using var writer = new StreamWriter(body, new UTF8Encoding(encoderShouldEmitUTF8Identifier: true));
                await service.WriteRejectionsCsvAsync(id, writer, ct);
            }, "text/csv; charset=utf-8", $"import-{id}-rejected-rows.csv");
        }).WithName("DownloadImportRejections")
        // Imports are the platform's data: administrators only (like the Imports pages).
        .RequireAuthorization(Portal.Server.Accounts.PortalPolicies.Admin);
        return app;
    }
}
