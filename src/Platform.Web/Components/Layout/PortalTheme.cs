using MudBlazor;

namespace Platform.Web.Components.Layout;

/// <summary>
/// The portal's MudBlazor theme (the indigo of site.css) and the reader's light/dark choice. The
/// choice is a cookie set by a plain form post (<see cref="MapThemePreference"/>), so static pages,
/// account pages and interactive components all render in it from the first byte, with no script.
/// </summary>
public static class PortalTheme
{
    public const string Cookie = "platform.theme";

    public static readonly MudTheme Theme = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#4f46e5",
            PrimaryDarken = "#3730a3",
            PrimaryLighten = "#818cf8",
            AppbarBackground = "#212529",
            // MudBlazor's defaults (#f44336, #00c853, #ff9800, #2196f3) are under WCAG's 4.5:1 as text on
            // white and under white text: a "Delete" or "Mark paid" text button failed the accessibility
            // scan. These darker shades pass both ways.
            Error = "#c62828",
            Success = "#2e7d32",
            Warning = "#b45309",
            Info = "#1565c0",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#818cf8",
            PrimaryDarken = "#4f46e5",
            PrimaryLighten = "#e0e7ff",
        },
    };

    public static bool IsDark(HttpContext? context) => context?.Request.Cookies[Cookie] == "dark";

    /// <summary>POST /preferences/theme (dark=true|false, returnUrl): stores the choice for a year and goes back.</summary>
    public static void MapThemePreference(this IEndpointRouteBuilder app) =>
        app.MapPost("/preferences/theme", (HttpContext context, [Microsoft.AspNetCore.Mvc.FromForm] bool dark,
            [Microsoft.AspNetCore.Mvc.FromForm] string? returnUrl) =>
        {
            context.Response.Cookies.Append(Cookie, dark ? "dark" : "light", new CookieOptions
            {
                HttpOnly = true,
                SameSite = SameSiteMode.Lax,
                Secure = context.Request.IsHttps,
                MaxAge = TimeSpan.FromDays(365),
                IsEssential = true,
            });
            return Results.LocalRedirect(IsLocal(returnUrl) ? returnUrl! : "/");
        }).AllowAnonymous();

    // Only a path on this site: "//host" and "/\host" are other sites to a browser.
    private static bool IsLocal(string? url) =>
        url is { Length: > 0 } && url[0] == '/' && (url.Length == 1 || (url[1] != '/' && url[1] != '\\'));
}
