using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Platform.Testing;

namespace Platform.Data.Tests;

/// <summary>
/// The container AddPlatformData builds, over a fresh database and a temp storage root: tests resolve
/// the real commands and set the current tenant the way a host does, per scope.
/// </summary>
public sealed class DataServices : IAsyncLifetime
{
    private IHost? _host;

    public PostgresDatabase Database { get; private set; } = null!;

    public TempDirectory Storage { get; } = new();

    public IServiceProvider Services => _host!.Services;

    /// <summary>Extra configuration (e.g. "Datasets:MaxUploadBytes") applied on top of the defaults.</summary>
    public Dictionary<string, string?> Settings { get; } = [];

    public async Task InitializeAsync()
    {
        Database = await PostgresDatabase.CreateAsync();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Platform"] = Database.ConnectionString,
            ["Storage:Root"] = Storage.Path,
            ["Data:Migrations"] = "Check",
            ["Datasets:MaxUploadBytes"] = "200000",
            ["Datasets:MaxImageSide"] = "512",
        });
        builder.Configuration.AddInMemoryCollection(Settings);
        builder.AddPlatformData();
        builder.Services.AddSingleton<Platform.Data.Datasets.Ingestion.IImageVerifier, Platform.Jobs.Training.DecodingImageVerifier>();
        _host = builder.Build();
        // Starting runs the options validation and the migration check, as a real host does.
        await _host.StartAsync();
    }

    /// <summary>A scope acting as <paramref name="tenant"/>; resolve commands from it.</summary>
    public AsyncServiceScope ScopeFor(TestTenant tenant)
    {
        var scope = Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<CurrentTenant>().Set(tenant.TenantId, tenant.UserId);
        return scope;
    }

    /// <summary>Files in the artifact store (upload scratch space excluded: it must be empty anyway).</summary>
    public IReadOnlyList<string> StoredFiles() => Storage.Files();

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.StopAsync();
            _host.Dispose();
        }
        await Database.DisposeAsync();
        Storage.Dispose();
    }
}
