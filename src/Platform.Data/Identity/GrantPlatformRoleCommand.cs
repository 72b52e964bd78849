using Microsoft.AspNetCore.Identity;
using Platform.Domain.Common;

namespace Platform.Data.Identity;

/// <summary>
/// Gives an existing account a platform-wide role (PlatformAdmin or Finance). Run by an operator from
/// the command line (`./platform grant-role`), which is how a fresh deployment gets its first admin;
/// the portal has no sign-up path to these roles.
/// </summary>
public sealed class GrantPlatformRoleCommand(UserManager<ApplicationUser> users)
{
    public async Task<Result> ExecuteAsync(string email, string role)
    {
        var known = PlatformRoles.All.FirstOrDefault(r => string.Equals(r, role.Trim(), StringComparison.OrdinalIgnoreCase));
        if (known is null)
        {
            return Result.BadRequest($"Unknown role '{role}': use {string.Join(" or ", PlatformRoles.All)}.");
        }
        var user = await users.FindByEmailAsync(email.Trim());
        if (user is null)
        {
            return Result.NotFound($"No account uses {email.Trim()}: sign up in the portal first.");
        }
        if (await users.IsInRoleAsync(user, known))
        {
            return Result.Success();
        }
        var added = await users.AddToRoleAsync(user, known);
        return added.Succeeded
            ? Result.Success()
            : Result.BadRequest(string.Join(" ", added.Errors.Select(e => e.Description)));
    }
}
