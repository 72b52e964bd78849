namespace Platform.Web.Accounts;

/// <summary>
/// The tenant a user last picked. It is only a preference: every request re-checks it against the
/// user's memberships, so a forged or stale value falls back to a tenant the user belongs to.
/// </summary>
internal static class TenantCookie
{
    public const string Name = "platform.tenant";

    public static Guid? Read(HttpContext context) =>
        Guid.TryParse(context.Request.Cookies[Name], out var id) ? id : null;

    public static void Write(HttpContext context, Guid tenantId) =>
        context.Response.Cookies.Append(Name, tenantId.ToString(), new CookieOptions
        {
            HttpOnly = true,
            IsEssential = true,
            SameSite = SameSiteMode.Lax,
            Secure = context.Request.IsHttps,
            MaxAge = TimeSpan.FromDays(180),
        });
}
