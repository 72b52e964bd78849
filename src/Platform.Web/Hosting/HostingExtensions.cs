using Platform.Data.Migrations;

namespace Platform.Web.Hosting;

public static class HostingExtensions
{
    /// <summary>Registers what the start-up flags ask for; --seed-demo must come after AddPlatformData (it needs a migrated database).</summary>
    public static IHostApplicationBuilder AddStartupFlags(this IHostApplicationBuilder builder, StartupFlags flags)
    {
        if (flags.SeedDemo)
        {
            builder.Services.AddHostedService<DemoSeeder>();
            builder.Services.AddHostedService<DemoCatalogSeeder>();
        }
        return builder;
    }

    /// <summary>`--migrate-only`: applies pending migrations without starting the host, then exits.</summary>
    public static async Task<int> MigrateOnlyAsync(this WebApplication app)
    {
        var report = await app.Services.GetRequiredService<SqlMigrator>().MigrateAsync();
        Console.WriteLine(report.AppliedNow.Count == 0
            ? $"Database up to date ({report.AlreadyApplied.Count} migrations)."
            : $"Applied {string.Join(", ", report.AppliedNow)}.");
        return 0;
    }
}
