using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Platform.Data;
using Platform.Data.Identity;
using Platform.Data.Tenants;
using Platform.Domain.Tenants;
using Platform.Testing;

namespace Platform.Web.Tests.Infrastructure;

/// <summary>
/// The portal on the in-memory test server, against its own freshly migrated PostgreSQL database
/// and artifact directory. One per test class (IClassFixture); tests create their own users and
/// tenants, so they do not depend on each other.
/// </summary>
public sealed class PortalFactory : WebApplicationFactory<Program>, IAsyncLifetime
{
    /// <summary>Small, so the oversized-upload test needs only a little more than this.</summary>
    public const long UploadLimitBytes = 256 * 1024;

    public const string Password = "correct-horse-battery";

    private readonly string _storageRoot = Path.Combine(Path.GetTempPath(), "platform-web-tests-" + Guid.NewGuid().ToString("N"));
    private PostgresDatabase? _database;

    public PostgresDatabase Database => _database ?? throw new InvalidOperationException("Not initialised.");

    public AdjustableTimeProvider Time { get; } = new();

    public string StorageRoot => _storageRoot;

    /// <summary>Every file the artifact store holds for <paramref name="tenantId"/>.</summary>
    public IReadOnlyList<string> TenantFiles(Guid tenantId)
    {
        var directory = Path.Combine(_storageRoot, "tenants", tenantId.ToString("N"));
        return Directory.Exists(directory) ? Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).ToList() : [];
    }

    /// <summary>
    /// Where model imports download from. Nothing listens on the default (port 9, discard), so no test
    /// reaches the real Hub; catalog tests point it at a <see cref="Platform.Testing.HubStandIn"/> before
    /// the server starts.
    /// </summary>
    public string HubEndpoint { get; set; } = "http://127.0.0.1:9";

    /// <summary>Runs a Hangfire server in the portal (set before the server starts); off by default.</summary>
    public bool BackgroundServer { get; set; }

    /// <summary>
    /// Set before the server starts: the portal reaches its database through a <see cref="TcpRelay"/> that
    /// the test can cut (an outage for this portal alone; the test's own <see cref="Database"/> stays direct).
    /// </summary>
    public bool ThroughRelay { get; set; }

    /// <summary>Extra settings (e.g. "Telemetry:PrometheusToken", an SMTP stand-in's address), applied over the defaults above; set before the server starts.</summary>
    public Dictionary<string, string> Settings { get; } = [];

    public TcpRelay Relay => _relay ?? throw new InvalidOperationException("Set ThroughRelay before the server starts.");

    private TcpRelay? _relay;

    public async Task InitializeAsync() => _database = await PostgresDatabase.CreateAsync();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        var connectionString = Database.ConnectionString;
        if (ThroughRelay)
            (_relay, connectionString) = TcpRelay.For(connectionString);
        builder.UseSetting("ConnectionStrings:Platform", connectionString);
        builder.UseSetting("Data:Migrations", "None");
        builder.UseSetting("Storage:Root", _storageRoot);
        builder.UseSetting("Datasets:MaxUploadBytes", UploadLimitBytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
        // Tests accept the PDF library's AGPL terms for their own process (docs/decisions/0013).
        builder.UseSetting("Billing:PdfSharpLicense", "AGPL");
        // Billing tests run the scheduler's steps themselves; a background run would race them. No
        // Hangfire server runs here: nothing fires on its own (the background jobs' tests start one).
        builder.UseSetting("BillingScheduler:Enabled", "false");
        builder.UseSetting("BackgroundJobs:Server", BackgroundServer ? "true" : "false");
        builder.UseSetting("HuggingFace:Endpoint", HubEndpoint);
        // Every test client shares one address on the test server; the limits get tests of their own (RateLimitTests).
        builder.UseSetting("RateLimits:SignInsPerMinute", "100000");
        builder.UseSetting("RateLimits:SignUpsPerHour", "100000");
        builder.UseSetting("RateLimits:UploadsPerHour", "100000");
        builder.UseSetting("HuggingFace:Token", "hf_test_token");
        builder.UseSetting("HuggingFace:RetryDelay", "00:00:00");
        builder.UseSetting("Catalog:ImportPollInterval", "00:00:00.200");
        builder.UseSetting("Catalog:ProgressEvery", "00:00:00.050");
        foreach (var (key, value) in Settings)
            builder.UseSetting(key, value);
        builder.ConfigureServices(services =>
        {
            services.RemoveAll<TimeProvider>();
            services.AddSingleton<TimeProvider>(Time);
        });
    }

    /// <summary>Where the portal writes mail (no SMTP host in tests: the pickup directory under Storage:Root).</summary>
    public string MailDirectory => Path.Combine(_storageRoot, "mail");

    public PortalClient CreatePortalClient() =>
        new(CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true }));

    /// <summary>A user with a password (so the sign-in form works), a confirmed email and optional platform roles.</summary>
    public Task<ApplicationUser> CreateUserAsync(string? email = null, params string[] roles) => CreateUserAsync(email, confirmed: true, roles);

    public async Task<ApplicationUser> CreateUserAsync(string? email, bool confirmed, params string[] roles)
    {
        email ??= $"user-{Guid.NewGuid():N}@example.com";
        await using var scope = Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        var user = new ApplicationUser { Id = Guid.CreateVersion7(), UserName = email, Email = email, EmailConfirmed = confirmed, CreatedAt = DateTimeOffset.UtcNow };
        Check(await users.CreateAsync(user, Password));
        // The platform roles exist after migration (0004); nothing here creates them.
        if (roles.Length > 0)
            Check(await users.AddToRolesAsync(user, roles));
        return user;
    }

    /// <summary>A tenant owned by <paramref name="owner"/>.</summary>
    public async Task<Tenant> CreateTenantAsync(ApplicationUser owner, string? name = null)
    {
        await using var scope = Services.CreateAsyncScope();
        var created = await scope.ServiceProvider.GetRequiredService<CreateTenantForNewUserCommand>()
            .ExecuteAsync(owner.Id, name ?? $"Org {Guid.NewGuid():N}"[..16]);
        return created.Value;
    }

    public async Task AddMemberAsync(Guid tenantId, ApplicationUser user, TenantRole role = TenantRole.Member)
    {
        await using var db = Database.CreateDbContext();
        db.TenantMemberships.Add(new TenantMembership(tenantId, user.Id, role, DateTimeOffset.UtcNow));
        await db.SaveChangesAsync();
    }

    /// <summary>Runs a platform-level command (admin actions) outside any request.</summary>
    public async Task<T> WithServicesAsync<T>(Func<IServiceProvider, Task<T>> action)
    {
        await using var scope = Services.CreateAsyncScope();
        return await action(scope.ServiceProvider);
    }

    private static void Check(IdentityResult result)
    {
        if (!result.Succeeded)
        {
            throw new InvalidOperationException(string.Join("; ", result.Errors.Select(e => e.Description)));
        }
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await base.DisposeAsync();
        if (_relay is not null)
        {
            await _relay.DisposeAsync();
        }
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
        if (Directory.Exists(_storageRoot))
        {
            Directory.Delete(_storageRoot, recursive: true);
        }
    }
}
