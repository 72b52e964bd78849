namespace Platform.Data.Identity;

public static class PlatformRoles
{
    public const string PlatformAdmin = "PlatformAdmin";
    public const string Finance = "Finance";

    public static readonly IReadOnlyList<string> All = [PlatformAdmin, Finance];
}
