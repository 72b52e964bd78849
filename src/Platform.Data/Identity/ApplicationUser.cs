using Microsoft.AspNetCore.Identity;

namespace Platform.Data.Identity;

public sealed class ApplicationUser : IdentityUser<Guid>
{
    public const int DisplayNameMaxLength = 100;

    public string? DisplayName { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}
