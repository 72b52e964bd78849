using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Platform.Data.Identity;
using Platform.Testing;

namespace Platform.Data.Tests.Identity;

/// <summary>ASP.NET Core Identity's EF stores against the hand-written 0001_identity.sql.</summary>
public sealed class IdentityStoreTests : IAsyncLifetime
{
    private PostgresDatabase _database = null!;
    private readonly TempDirectory _storage = new();
    private IHost _host = null!;

    public async Task InitializeAsync()
    {
        _database = await PostgresDatabase.CreateAsync();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Platform"] = _database.ConnectionString,
            ["Storage:Root"] = _storage.Path,
            ["Data:Migrations"] = "None",
        });
        builder.AddPlatformData();
        builder.Services.AddLogging();
        builder.Services.AddIdentityCore<ApplicationUser>(options =>
            {
                options.User.RequireUniqueEmail = true;
                options.Lockout.MaxFailedAccessAttempts = 3;
                options.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(15);
            })
            .AddRoles<ApplicationRole>()
            .AddEntityFrameworkStores<PlatformDbContext>();
        _host = builder.Build();
    }

    public async Task DisposeAsync()
    {
        _host.Dispose();
        await _database.DisposeAsync();
        _storage.Dispose();
    }

    private async Task<T> WithUsersAsync<T>(Func<UserManager<ApplicationUser>, IServiceProvider, Task<T>> action)
    {
        await using var scope = _host.Services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>(), scope.ServiceProvider);
    }

    private static ApplicationUser NewUser(string email) =>
        new() { Id = Guid.CreateVersion7(), UserName = email, Email = email, DisplayName = "Ann", CreatedAt = DateTimeOffset.UtcNow };

    [Fact]
    public async Task CreateAsync_WithPassword_FindsUserByEmailAndChecksPassword()
    {
        var created = await WithUsersAsync((users, _) => users.CreateAsync(NewUser("ann@example.com"), "Correct-horse-1"));
        Assert.True(created.Succeeded, string.Join("; ", created.Errors.Select(e => e.Description)));

        var (found, passwordOk, wrongOk) = await WithUsersAsync(async (users, _) =>
        {
            var user = await users.FindByEmailAsync("ANN@example.com");
            return (user, await users.CheckPasswordAsync(user!, "Correct-horse-1"), await users.CheckPasswordAsync(user!, "wrong"));
        });

        Assert.Equal("Ann", found!.DisplayName);
        Assert.True(passwordOk);
        Assert.False(wrongOk);
        Assert.Equal("ANN@EXAMPLE.COM", await _database.ScalarAsync<string>("SELECT normalized_email FROM users"));
    }

    [Fact]
    public async Task CreateAsync_DuplicateEmail_Fails()
    {
        await WithUsersAsync((users, _) => users.CreateAsync(NewUser("dup@example.com"), "Correct-horse-1"));

        var second = await WithUsersAsync((users, _) => users.CreateAsync(NewUser("dup@example.com"), "Correct-horse-1"));

        Assert.False(second.Succeeded);
    }

    [Fact]
    public async Task AccessFailedAsync_RepeatedFailures_LocksOutAndPersistsLockoutEnd()
    {
        await WithUsersAsync((users, _) => users.CreateAsync(NewUser("bob@example.com"), "Correct-horse-1"));

        await WithUsersAsync(async (users, _) =>
        {
            var user = (await users.FindByEmailAsync("bob@example.com"))!;
            for (var i = 0; i < 3; i++)
            {
                await users.AccessFailedAsync(user);
            }
            return 0;
        });

        var lockedOut = await WithUsersAsync(async (users, _) => await users.IsLockedOutAsync((await users.FindByEmailAsync("bob@example.com"))!));
        Assert.True(lockedOut);
        Assert.True(await _database.ScalarAsync<bool>("SELECT lockout_end > now() + interval '10 minutes' FROM users WHERE email = 'bob@example.com'"));
        Assert.Equal(0, await _database.ScalarAsync<int>("SELECT access_failed_count FROM users WHERE email = 'bob@example.com'"));
    }

    [Fact]
    public async Task AddToRoleAsync_PlatformRole_RoundTrips()
    {
        await WithUsersAsync(async (_, sp) =>
        {
            var roles = sp.GetRequiredService<RoleManager<ApplicationRole>>();
            return await roles.CreateAsync(new ApplicationRole(PlatformRoles.PlatformAdmin));
        });
        await WithUsersAsync((users, _) => users.CreateAsync(NewUser("admin@example.com"), "Correct-horse-1"));

        await WithUsersAsync(async (users, _) => await users.AddToRoleAsync((await users.FindByEmailAsync("admin@example.com"))!, PlatformRoles.PlatformAdmin));

        var admins = await WithUsersAsync((users, _) => users.GetUsersInRoleAsync(PlatformRoles.PlatformAdmin));
        Assert.Equal("admin@example.com", Assert.Single(admins).Email);
    }

    [Fact]
    public async Task SetAuthenticationTokenAsync_Token_StoredInUserTokens()
    {
        await WithUsersAsync((users, _) => users.CreateAsync(NewUser("tok@example.com"), "Correct-horse-1"));

        await WithUsersAsync(async (users, _) =>
            await users.SetAuthenticationTokenAsync((await users.FindByEmailAsync("tok@example.com"))!, "provider", "name", "value"));

        await using var db = _database.CreateDbContext();
        Assert.Equal("value", (await db.UserTokens.SingleAsync()).Value);
    }
}
