using Platform.Billing;
using Platform.Data;
using Platform.Jobs;
using Platform.Web;
using Platform.Web.Api;
using Platform.Web.Background;
using Platform.Web.Billing;
using Platform.Web.Hosting;
using Platform.Web.Jobs;
using Platform.Web.Notifications;
using Platform.Web.Privacy;

var flags = StartupFlags.Parse(args);
var builder = WebApplication.CreateBuilder(flags.HostArgs);
// `./platform up` serves the build output (not a publish) in Production: this maps Bootstrap and the
// scoped CSS bundle from the build's manifest. A published app has no such manifest and is unaffected.
builder.WebHost.UseStaticWebAssets();
builder.AddPlatformData();
builder.AddPortal();
builder.AddJobsPortal();
builder.AddNotifications();
builder.AddBilling();
// Ingests usage, closes ended periods and reports to Stripe on an interval (section BillingScheduler).
builder.AddBillingScheduler();
// Export and erasure (portal and API); the per-plan retention sweep is scheduled with housekeeping below.
builder.AddTenantPrivacy();
// Hangfire runs those steps and housekeeping as recurring jobs, in this process (docs/decisions/0024).
builder.AddBackgroundJobs();
builder.AddPlatformApi();
builder.AddStartupFlags(flags);

var app = builder.Build();
if (flags.MigrateOnly)
{
    return await app.MigrateOnlyAsync();
}
if (flags.GrantRole is var (email, role))
{
    return await app.GrantRoleAsync(email, role);
}
if (flags.RotateKeys)
{
    return await app.RotateKeysAsync();
}
app.MapPortal();
app.MapJobsPortal();
app.MapNotifications();
app.MapStripeWebhook();
app.MapBillingPortal();
app.MapPlatformApi();
app.MapPrivacyEndpoints();
app.MapBackgroundJobsDashboard();
await app.RunAsync();
return 0;
