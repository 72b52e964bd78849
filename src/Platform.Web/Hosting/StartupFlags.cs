namespace Platform.Web.Hosting;

/// <summary>
/// The portal's own command-line switches. They are taken out before the host sees the arguments:
/// the command-line configuration provider would otherwise read "--seed-demo --urls x" as
/// seed-demo=--urls and drop the URL.
/// </summary>
public sealed record StartupFlags(bool MigrateOnly, bool SeedDemo, string[] HostArgs)
{
    public static StartupFlags Parse(string[] args)
    {
        var rest = args.Where(a => a is not ("--migrate-only" or "--seed-demo")).ToArray();
        return new StartupFlags(args.Contains("--migrate-only"), args.Contains("--seed-demo"), rest);
    }
}
