using System.Text;

namespace Platform.Domain.Tenants;

/// <summary>URL-safe organisation handles: lower-case ASCII letters, digits and single hyphens.</summary>
public static class TenantSlug
{
    public static bool IsValid(string slug)
    {
        if (slug.Length is 0 or > Tenant.SlugMaxLength || slug[0] == '-' || slug[^1] == '-' || slug.Contains("--", StringComparison.Ordinal))
        {
            return false;
        }
        return slug.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-');
    }

    /// <summary>Derives a slug from a display name; an empty result falls back to "org".</summary>
    public static string FromName(string name)
    {
        var sb = new StringBuilder();
        // The app runs with invariant globalization (no ICU), so accents cannot be folded reliably:
        // anything outside ASCII letters and digits becomes a separator, and the owner can edit the slug.
        foreach (var c in name.ToLowerInvariant())
        {
            if (c is (>= 'a' and <= 'z') or (>= '0' and <= '9'))
            {
                sb.Append(c);
            }
            else if (sb.Length > 0 && sb[^1] != '-')
            {
                sb.Append('-');
            }
        }
        // Leave room for a "-2" style suffix when the slug is taken.
        var slug = sb.ToString().Trim('-');
        if (slug.Length > Tenant.SlugMaxLength - 8)
        {
            slug = slug[..(Tenant.SlugMaxLength - 8)].TrimEnd('-');
        }
        return slug.Length == 0 ? "org" : slug;
    }
}
