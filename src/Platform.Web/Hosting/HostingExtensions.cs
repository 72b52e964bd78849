using Platform.Data.Artifacts.Encryption;
using Platform.Data.Identity;
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

    /// <summary>`--grant-role EMAIL ROLE`: migrates, gives the account the platform role, then exits (1 on a refusal).</summary>
    public static async Task<int> GrantRoleAsync(this WebApplication app, string email, string role)
    {
        await app.Services.GetRequiredService<SqlMigrator>().MigrateAsync();
        await using var scope = app.Services.CreateAsyncScope();
        var granted = await scope.ServiceProvider.GetRequiredService<GrantPlatformRoleCommand>().ExecuteAsync(email, role);
        if (!granted.IsSuccess)
        {
            await Console.Error.WriteLineAsync($"grant-role: {granted.Error}");
            return 1;
        }
        Console.WriteLine($"{email.Trim()} has the {role.Trim()} role; it applies at their next sign-in.");
        return 0;
    }

    /// <summary>
    /// `--rotate-keys`: re-wraps every tenant data key still wrapped by an older master key (listed in
    /// Storage:PreviousMasterKeys) with Storage:MasterKey, then exits. No file is rewritten.
    /// </summary>
    public static async Task<int> RotateKeysAsync(this WebApplication app)
    {
        await app.Services.GetRequiredService<SqlMigrator>().MigrateAsync();
        var rewrapped = await app.Services.GetRequiredService<TenantKeyRing>().RewrapAllAsync(CancellationToken.None);
        Console.WriteLine($"Re-wrapped {rewrapped} tenant data key(s) with master key {app.Services.GetRequiredService<IMasterKey>().CurrentKeyId}. "
            + "Once every host runs with the new Storage:MasterKey, drop the old one from Storage:PreviousMasterKeys.");
        return 0;
    }
}
