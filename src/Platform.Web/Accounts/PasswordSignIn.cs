using Microsoft.AspNetCore.Identity;
using Platform.Data.Identity;

namespace Platform.Web.Accounts;

/// <summary>
/// The sign-in form's check, built so that it tells an attacker nothing about which emails have
/// accounts (docs/security.md, finding 9): an unknown email costs the same password hash as a known
/// one and gets the same answer, and a wrong password never locks the account, so nobody can lock a
/// real user out by guessing. Guessing is throttled per client instead (the "sign-in" rate limit).
/// </summary>
public sealed class PasswordSignIn(UserManager<ApplicationUser> users, SignInManager<ApplicationUser> signIn, IPasswordHasher<ApplicationUser> hasher)
{
    private static readonly ApplicationUser Nobody = new() { Id = Guid.Empty, UserName = "nobody", Email = "nobody" };

    // A hash of a random password, made once with the same hasher (and so the same work factor) as real ones.
    private static string? _nobodyHash;

    /// <summary>True when the user is signed in (the cookie is set); false for any failure, whatever its cause.</summary>
    public async Task<bool> SignInAsync(string email, string password)
    {
        var user = await users.FindByEmailAsync(email);
        if (user is null)
        {
            _nobodyHash ??= hasher.HashPassword(Nobody, Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24)));
            hasher.VerifyHashedPassword(Nobody, _nobodyHash, password);
            return false;
        }
        // lockoutOnFailure: false. Identity's lockout would let anyone who knows an email lock its owner out.
        var result = await signIn.PasswordSignInAsync(user, password, isPersistent: false, lockoutOnFailure: false);
        return result.Succeeded;
    }
}
