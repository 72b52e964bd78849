using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using MudBlazor.Services;
using Platform.Data;
using Platform.Data.Identity;
using Platform.Web.Accounts;
using Platform.Web.Components;
using Platform.Web.Components.Layout;
using Platform.Web.Datasets;
using Platform.Web.Health;
using Platform.Web.Hosting;
using Platform.Web.Security;
using Platform.Web.Telemetry;

namespace Platform.Web;

public static class Extensions
{
    public static IHostApplicationBuilder AddPortal(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        builder.AddPortalSecurity();
        // Pages render statically unless they opt in (@rendermode InteractiveServer): the job page's
        // live view runs on a circuit; account pages that set the sign-in cookie stay static (0028).
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddMudServices();
        services.AddScoped<CircuitTenant>();
        services.AddHttpContextAccessor();

        // Several web instances behind a load balancer must read each other's cookies and
        // antiforgery tokens: they share one key ring directory when DataProtection:KeysPath is set.
        var dataProtection = services.AddDataProtection().SetApplicationName("Platform");
        if (builder.Configuration["DataProtection:KeysPath"] is { Length: > 0 } keysPath)
        {
            dataProtection.PersistKeysToFileSystem(new DirectoryInfo(keysPath));
        }
        // Sealed by the master key wherever they are kept (docs/security.md).
        services.EncryptKeyRingWithMasterKey();

        services.AddIdentity<ApplicationUser, ApplicationRole>(options =>
            {
                options.User.RequireUniqueEmail = true;
                // Length over composition rules (NIST SP 800-63B): a long passphrase is accepted as is.
                options.Password.RequiredLength = 10;
                options.Password.RequireNonAlphanumeric = false;
                options.Password.RequireUppercase = false;
                options.Password.RequireLowercase = false;
                options.Password.RequireDigit = false;
                // No lockout on failed passwords: anyone knowing an email could keep its owner locked out.
                // Password guessing is throttled per client instead (RateLimits:SignInsPerMinute).
                options.Lockout.AllowedForNewUsers = false;
            })
            .AddEntityFrameworkStores<PlatformDbContext>()
            .AddDefaultTokenProviders()
            .AddPasswordValidator<Platform.Web.Accounts.Passwords.PasswordPolicyValidator>();
        services.ConfigureApplicationCookie(options =>
        {
            options.LoginPath = "/account/sign-in";
            options.AccessDeniedPath = "/account/access-denied";
            options.Cookie.Name = "platform.auth";
            options.Cookie.HttpOnly = true;
            options.Cookie.SameSite = SameSiteMode.Lax;
            options.SlidingExpiration = true;
            options.ExpireTimeSpan = TimeSpan.FromHours(12);
        });
        PortalPolicies.Add(services.AddAuthorizationBuilder());
        services.AddScoped<IAuthorizationHandler, TenantMemberHandler>();

        // AddPlatformData's scoped CurrentTenant is the request's ICurrentTenant; TenantResolutionMiddleware fills it.
        services.AddScoped<PortalSession>();
        services.AddScoped<Dashboard.DashboardQuery>();
        services.AddScoped<Admin.TenantGridQuery>();
        services.AddScoped<SignUpService>();
        services.AddScoped<SignUpRequestProcessor>();
        services.AddOptions<Accounts.Mail.MailOptions>().BindConfiguration(Accounts.Mail.MailOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<Accounts.Mail.MailSender>();
        services.AddScoped<Accounts.Mail.EmailOutbox>();
        services.AddScoped<Accounts.Mail.EmailConfirmation>();
        services.AddScoped<Platform.Data.Tenants.IInvitationMail, Accounts.Mail.InvitationMail>();
        services.AddScoped<Accounts.Mail.AccountMailJobs>();
        services.AddScoped<PasswordSignIn>();
        services.AddScoped<AssignSignUpPlanCommand>();
        services.AddOptions<SignUpOptions>().BindConfiguration(SignUpOptions.Section)
            // The same code billing's sign-up subscription uses (SignUp:PlanCode, or its old name Billing:SignUpPlanCode).
            .PostConfigure<IConfiguration>((o, configuration) => o.PlanCode = Platform.Billing.Plans.SignUpPlanSetting.Resolve(configuration).Code)
            .ValidateDataAnnotations().ValidateOnStart();
        services.AddScoped<GrantPlatformRoleCommand>();

        services.AddOptions<DemoSeedOptions>().BindConfiguration(DemoSeedOptions.Section);
        services.AddPlatformHealth();
        builder.AddPortalTelemetry();
        return builder;
    }

    public static WebApplication MapPortal(this WebApplication app)
    {
        app.UseRequestSecurity();
        // Before the error pages and the database: a scrape reads counters in memory only.
        app.UsePortalTelemetry();
        app.UseErrorResponses();
        // Inside the error handling, outside everything that reads the database: an outage is a 503 with
        // Retry-After (its body is written here, so no status page is re-executed against the database).
        app.UseMiddleware<DatabaseOutageMiddleware>();
        // Before authentication: a browser's preflight carries no key, and is answered here (Api:Cors).
        app.UseCors();
        app.UseAuthentication();
        app.UseMiddleware<TenantResolutionMiddleware>();
        app.UseAuthorization();
        app.UseRequestGuards();

        app.MapStaticAssets();
        app.MapPlatformHealth();
        app.MapAccountEndpoints();
        app.MapDatasetEndpoints();
        app.MapThemePreference();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }
}
