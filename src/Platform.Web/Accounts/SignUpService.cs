using Microsoft.AspNetCore.Identity;
using Platform.Data;
using Platform.Data.Identity;
using Platform.Data.Tenants;

namespace Platform.Web.Accounts;

/// <summary>Sign-up: a new user and the organisation they own, created together or not at all.</summary>
public sealed class SignUpService(
    PlatformDbContext db,
    UserManager<ApplicationUser> users,
    SignInManager<ApplicationUser> signIn,
    CreateTenantForNewUserCommand createTenant,
    AssignSignUpPlanCommand assignPlan,
    IHttpContextAccessor httpContext,
    TimeProvider time)
{
    /// <summary>Returns the messages to show; empty when the user is created and signed in.</summary>
    public async Task<IReadOnlyList<string>> SignUpAsync(string organisation, string email, string password, CancellationToken cancellationToken = default)
    {
        // The user store and the tenant command share this request's DbContext, so one transaction
        // covers both: a refused organisation name leaves no account without a tenant behind.
        // The email is checked by the password validator with the account; the organisation is known only here.
        if (Passwords.PasswordPolicy.Refusal(password, email: null, organisation) is { } refusal)
            return [refusal];
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var user = new ApplicationUser { Id = Guid.CreateVersion7(), UserName = email, Email = email, CreatedAt = time.GetUtcNow() };
        var created = await users.CreateAsync(user, password);
        if (!created.Succeeded)
        {
            // The email doubles as the user name; one "already taken" message is enough.
            var errors = created.Errors.Where(e => e.Code != nameof(IdentityErrorDescriber.DuplicateUserName)).Select(e => e.Description).ToList();
            return errors.Count > 0 ? errors : created.Errors.Select(e => e.Description).ToList();
        }
        var tenant = await createTenant.ExecuteAsync(user.Id, organisation, cancellationToken);
        if (!tenant.IsSuccess)
        {
            return [tenant.Error!];
        }
        await transaction.CommitAsync(cancellationToken);
        // After the commit: billing works on its own connection, which must see the new organisation.
        await assignPlan.ExecuteAsync(tenant.Value.Id, cancellationToken);
        await signIn.SignInAsync(user, isPersistent: false);
        TenantCookie.Write(httpContext.HttpContext!, tenant.Value.Id);
        return [];
    }
}
