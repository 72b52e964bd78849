namespace Platform.Web.Hosting;

/// <summary>
/// The demo logins `--seed-demo` creates. They are fixed, printed, well-known values for a local
/// demo; a real deployment never passes --seed-demo.
/// </summary>
public sealed class DemoSeedOptions
{
    public const string Section = "Demo";

    public string AdminEmail { get; set; } = "admin@demo.local";

    public string FinanceEmail { get; set; } = "finance@demo.local";

    public string OwnerEmail { get; set; } = "owner@demo.local";

    public string Password { get; set; } = "demo-password-1";

    public string TenantName { get; set; } = "Demo Startup";

    /// <summary>Where the Debian fortunes are: the demo's sample text dataset is built from them.</summary>
    public string FortunesDirectory { get; set; } = "/usr/share/games/fortunes";
}
