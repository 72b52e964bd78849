namespace Platform.Web.Hosting;

/// <summary>
/// The portal's own command-line switches. They are taken out before the host sees the arguments:
/// the command-line configuration provider would otherwise read "--seed-demo --urls x" as
/// seed-demo=--urls and drop the URL.
/// </summary>
/// <param name="GrantRole">`--grant-role EMAIL ROLE`: give an account a platform role, then exit.</param>
/// <param name="RotateKeys">`--rotate-keys`: re-wrap every tenant data key with Storage:MasterKey, then exit.</param>
public sealed record StartupFlags(bool MigrateOnly, bool SeedDemo, string[] HostArgs, (string Email, string Role)? GrantRole = null,
    bool RotateKeys = false)
{
    public static StartupFlags Parse(string[] args)
    {
        var rest = new List<string>();
        (string, string)? grant = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--migrate-only" or "--seed-demo" or "--rotate-keys":
                    break;
                case "--grant-role":
                    if (i + 2 >= args.Length)
                        throw new ArgumentException("--grant-role needs an email and a role: --grant-role EMAIL ROLE");
                    grant = (args[i + 1], args[i + 2]);
                    i += 2;
                    break;
                default:
                    rest.Add(args[i]);
                    break;
            }
        }
        return new StartupFlags(args.Contains("--migrate-only"), args.Contains("--seed-demo"), [.. rest], grant, args.Contains("--rotate-keys"));
    }
}
