using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Platform.Data;
using Platform.Data.Identity;
using Platform.Data.Tenants;

namespace Platform.Web.Hosting;

/// <summary>
/// `--seed-demo`: creates the demo logins if missing (and resets their password to the printed one),
/// then prints them. Registered after the data layer's migration service, so it runs on a migrated
/// database, and before the server listens, so the logins are on screen when the portal is.
/// </summary>
internal sealed class DemoSeeder(IServiceProvider services, IOptions<DemoSeedOptions> options, TimeProvider time) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var demo = options.Value;
        await using var scope = services.CreateAsyncScope();
        var sp = scope.ServiceProvider;
        // The roles themselves come from migration 0004.
        await EnsureUserAsync(sp, demo.AdminEmail, demo.Password, PlatformRoles.PlatformAdmin);
        await EnsureUserAsync(sp, demo.FinanceEmail, demo.Password, PlatformRoles.Finance);
        var owner = await EnsureUserAsync(sp, demo.OwnerEmail, demo.Password, role: null);

        sp.GetRequiredService<CurrentTenant>().Set(tenantId: null, owner.Id);
        var ownerTenants = await sp.GetRequiredService<ListMyTenantsQuery>().ExecuteAsync(cancellationToken);
        Guid tenantId;
        if (ownerTenants.FirstOrDefault(t => t.Name == demo.TenantName) is { } existing)
        {
            tenantId = existing.TenantId;
        }
        else
        {
            var created = await sp.GetRequiredService<CreateTenantForNewUserCommand>().ExecuteAsync(owner.Id, demo.TenantName, cancellationToken);
            if (!created.IsSuccess)
            {
                throw new InvalidOperationException($"Could not create the demo tenant: {created.Error}");
            }
            tenantId = created.Value.Id;
        }
        await DemoPlans.EnsureAsync(sp, tenantId, cancellationToken);
        await DemoPastPeriod.EnsureAsync(sp, tenantId, cancellationToken);
        await DemoDataset.EnsureAsync(sp, tenantId, owner.Id, demo.FortunesDirectory, cancellationToken);

        Console.WriteLine($"""

            Demo logins (password for each: {demo.Password})
              platform admin   {demo.AdminEmail}
              finance          {demo.FinanceEmail}
              tenant owner     {demo.OwnerEmail}   ({demo.TenantName})

            """);
    }

    private async Task<ApplicationUser> EnsureUserAsync(IServiceProvider sp, string email, string password, string? role)
    {
        var users = sp.GetRequiredService<UserManager<ApplicationUser>>();
        var user = await users.FindByEmailAsync(email);
        if (user is null)
        {
            user = new ApplicationUser { Id = Guid.CreateVersion7(), UserName = email, Email = email, EmailConfirmed = true, CreatedAt = time.GetUtcNow() };
            Check(await users.CreateAsync(user, password));
        }
        else if (!await users.CheckPasswordAsync(user, password))
        {
            // The printed password must work: someone changed it since the last seed.
            var token = await users.GeneratePasswordResetTokenAsync(user);
            Check(await users.ResetPasswordAsync(user, token, password));
        }
        // Accounts no longer lock on failed passwords; one created before that may still be locked.
        if (await users.GetLockoutEnabledAsync(user))
        {
            Check(await users.SetLockoutEndDateAsync(user, null));
        }
        if (role is not null && !await users.IsInRoleAsync(user, role))
        {
            Check(await users.AddToRoleAsync(user, role));
        }
        return user;
    }

    private static void Check(IdentityResult result)
    {
        if (!result.Succeeded)
        {
            throw new InvalidOperationException("Demo seed failed: " + string.Join("; ", result.Errors.Select(e => e.Description)));
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
