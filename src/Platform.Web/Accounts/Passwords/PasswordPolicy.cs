using System.IO.Compression;
using Microsoft.AspNetCore.Identity;
using Platform.Data.Identity;

namespace Platform.Web.Accounts.Passwords;

/// <summary>
/// What a new password must be beyond its length (NIST SP 800-63B, 3.1.1.2): not a common or
/// dictionary password, not a sequence or a repetition, and not the account's email or the
/// organisation's name. No composition rules: "a long enough passphrase" is fine, "Password12!" is not.
/// The list ships with the portal (common-passwords.txt.gz: Debian's cracklib-small, LGPL-2.1, words of
/// four characters or more, lower-cased).
/// </summary>
public static class PasswordPolicy
{
    public const string TooCommon =
        "This password is too easy to guess: it is a common password, a dictionary word, a sequence or a repetition " +
        "(digits or symbols around it do not help). A few unrelated words make a good one.";

    public const string ContainsEmail = "The password must not contain your email address or its name part.";

    public const string ContainsOrganisation = "The password must not contain the organisation's name.";

    private static readonly Lazy<HashSet<string>> Common = new(Load);

    // Rows and runs someone types without thinking; a password inside one of them (either way) is refused.
    private static readonly string[] Sequences =
    [
        "01234567890123456789", "abcdefghijklmnopqrstuvwxyz", "qwertyuiopasdfghjklzxcvbnm", "qwertzuiopasdfghjklyxcvbnm",
        "azertyuiopqsdfghjklmwxcvbn", "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p", "zaq12wsxcde34rfvbgt56yhnmju78ik,.lo90p",
    ];

    /// <summary>The first rule <paramref name="password"/> breaks, or null when it breaks none.</summary>
    public static string? Refusal(string password, string? email, string? organisation = null)
    {
        var lower = password.ToLowerInvariant();
        if (email is { Length: > 0 } && Mentions(lower, email.ToLowerInvariant(), email.Split('@')[0].ToLowerInvariant()))
            return ContainsEmail;
        if (organisation is { Length: > 0 } && Mentions(lower, organisation.ToLowerInvariant()))
            return ContainsOrganisation;
        foreach (var candidate in Candidates(lower))
        {
            if (candidate.Distinct().Count() < 4 || Common.Value.Contains(candidate) || IsSequence(candidate))
                return TooCommon;
        }
        return null;
    }

    /// <summary>
    /// The password and its core: leading and trailing digits and symbols stripped ("password12",
    /// "!!sunshine2024"), each also with the usual letter-for-digit swaps undone ("p4ssw0rd").
    /// </summary>
    private static IEnumerable<string> Candidates(string lower)
    {
        var core = lower.Trim("0123456789!@#$%^&*()_+-=[]{};:'\",.<>/?\\|`~ ".ToCharArray());
        foreach (var word in core.Length >= 4 && core != lower ? new[] { lower, core } : [lower])
        {
            yield return word;
            var plain = Unleet(word);
            if (plain != word)
                yield return plain;
        }
    }

    private static string Unleet(string word) => string.Create(word.Length, word, (span, w) =>
    {
        for (var i = 0; i < w.Length; i++)
            span[i] = w[i] switch { '0' => 'o', '1' => 'i', '3' => 'e', '4' => 'a', '5' => 's', '7' => 't', '@' => 'a', '$' => 's', var c => c };
    });

    private static bool IsSequence(string word) =>
        word.Length >= 4 && Sequences.Any(s => s.Contains(word, StringComparison.Ordinal)
                                               || s.Contains(new string(word.Reverse().ToArray()), StringComparison.Ordinal));

    /// <summary>Whether the password holds one of the names (3 characters or more), or is part of one.</summary>
    private static bool Mentions(string password, params string[] names) =>
        names.Any(n => n.Trim().Length >= 3 && (password.Contains(n.Trim(), StringComparison.Ordinal) || n.Contains(password, StringComparison.Ordinal)));

    private static HashSet<string> Load()
    {
        using var stream = typeof(PasswordPolicy).Assembly.GetManifestResourceStream("Platform.Web.Accounts.Passwords.common-passwords.txt.gz")
            ?? throw new InvalidOperationException("The common-password list is not embedded in the portal assembly.");
        using var reader = new StreamReader(new GZipStream(stream, CompressionMode.Decompress));
        var words = new HashSet<string>(StringComparer.Ordinal);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0)
                words.Add(line);
        }
        return words;
    }
}

/// <summary>The policy for every password Identity sets (sign-up, invitations, resets), with the account's email.</summary>
internal sealed class PasswordPolicyValidator : IPasswordValidator<ApplicationUser>
{
    public Task<IdentityResult> ValidateAsync(UserManager<ApplicationUser> manager, ApplicationUser user, string? password) =>
        Task.FromResult(PasswordPolicy.Refusal(password ?? "", user.Email) is { } refusal
            ? IdentityResult.Failed(new IdentityError { Code = "PasswordPolicy", Description = refusal })
            : IdentityResult.Success);
}
