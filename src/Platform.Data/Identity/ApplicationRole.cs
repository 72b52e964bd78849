using Microsoft.AspNetCore.Identity;

namespace Platform.Data.Identity;

/// <summary>Platform-wide roles (PlatformAdmin, Finance); roles inside a tenant live on memberships.</summary>
public sealed class ApplicationRole : IdentityRole<Guid>
{
    public ApplicationRole()
    {
    }

    public ApplicationRole(string name)
        : base(name)
    {
        Id = Guid.CreateVersion7();
        NormalizedName = name.ToUpperInvariant();
    }
}
