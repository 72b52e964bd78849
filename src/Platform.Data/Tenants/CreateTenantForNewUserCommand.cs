using Microsoft.EntityFrameworkCore;
using Platform.Domain.Common;
using Platform.Domain.Tenants;

namespace Platform.Data.Tenants;

/// <summary>
/// Sign-up (and "new organisation"): creates a tenant owned by the user. It takes the user id
/// explicitly because the user has no current tenant yet. The <see cref="ITenantCreatedHandler"/>s run in
/// the same transaction (billing puts the tenant on its sign-up plan there).
/// </summary>
public sealed class CreateTenantForNewUserCommand(PlatformDbContext db, TimeProvider time,
    IEnumerable<ITenantCreatedHandler>? handlers = null)
{
    public async Task<Result<Tenant>> ExecuteAsync(Guid userId, string tenantName, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var slug = await FreeSlugAsync(TenantSlug.FromName(tenantName), cancellationToken);
        var created = Tenant.Create(tenantName, slug, now);
        if (!created.IsSuccess)
        {
            return created;
        }
        if (!await db.Users.AnyAsync(u => u.Id == userId, cancellationToken))
        {
            return Result<Tenant>.NotFound("The user does not exist.");
        }
        // The caller's transaction (sign-up's) if there is one, else our own: the handlers' rows go with the tenant's.
        await using var own = db.Database.CurrentTransaction is null ? await db.Database.BeginTransactionAsync(cancellationToken) : null;
        db.Tenants.Add(created.Value);
        db.TenantMemberships.Add(new TenantMembership(created.Value.Id, userId, TenantRole.Owner, now));
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException ex) when (ex.IsUniqueViolation())
        {
            // Another sign-up took the same slug between the check and the insert.
            db.ChangeTracker.Clear();
            return Result<Tenant>.Conflict("That organisation name was just taken; try again.");
        }
        foreach (var handler in handlers ?? [])
            await handler.OnTenantCreatedAsync(db, created.Value.Id, now, cancellationToken);
        if (own is not null)
            await own.CommitAsync(cancellationToken);
        return created;
    }

    private async Task<string> FreeSlugAsync(string baseSlug, CancellationToken cancellationToken)
    {
        var taken = await db.Tenants
            .Where(t => t.Slug == baseSlug || t.Slug.StartsWith(baseSlug + "-"))
            .Select(t => t.Slug)
            .ToListAsync(cancellationToken);
        if (!taken.Contains(baseSlug))
        {
            return baseSlug;
        }
        var n = 2;
        while (taken.Contains($"{baseSlug}-{n}"))
        {
            n++;
        }
        return $"{baseSlug}-{n}";
    }
}
