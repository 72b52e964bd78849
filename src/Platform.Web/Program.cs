using Platform.Data;
using Platform.Web;
using Platform.Web.Hosting;

var flags = StartupFlags.Parse(args);
var builder = WebApplication.CreateBuilder(flags.HostArgs);
builder.AddPlatformData();
builder.AddPortal();
builder.AddStartupFlags(flags);

var app = builder.Build();
if (flags.MigrateOnly)
{
    return await app.MigrateOnlyAsync();
}
app.MapPortal();
await app.RunAsync();
return 0;
