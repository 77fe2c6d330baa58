using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Portal.Core.Data.Import;

/// <summary>Registers the import services.</summary>
public static class ImportServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="ImportProgressTracker"/> and <see cref="ImportJobOptions"/> (singletons), <see cref="ImportJob"/>
    /// (transient, activated by Hangfire), and <see cref="ImportService"/> / <see cref="IImportService"/> (scoped).
    /// Needs <see cref="PortalPaths"/>, <c>IDbContextFactory&lt;PortalDbContext&gt;</c> (both from <c>AddPortalCore</c>) and
    /// Hangfire's <c>IBackgroundJobClient</c> (from <c>AddHangfire</c>).
    /// </summary>
    /// <param name="services">The container.</param>
    /// <param name="configure">Optional tuning of the job.</param>
    public static IServiceCollection AddPortalImport(this IServiceCollection services, Action<ImportJobOptions>? configure = null)
    {
        var options = new ImportJobOptions();
        configure?.Invoke(options);
        services.TryAddSingleton(options);
        services.TryAddSingleton<ImportProgressTracker>();
        services.TryAddTransient<ImportJob>();
        services.TryAddScoped<ImportService>();
        services.TryAddScoped<IImportService>(sp => sp.GetRequiredService<ImportService>());
        return services;
    }
}
