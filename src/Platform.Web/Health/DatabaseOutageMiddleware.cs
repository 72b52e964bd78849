using Platform.Data;

namespace Platform.Web.Health;

/// <summary>
/// A request that failed because the database is not there (refused, reset, restarting) is answered
/// 503 with Retry-After, not 500. It is an outage, not a bug: clients and load balancers retry, and the
/// error page, which needs the database itself, is not tried. The API gets a problem document.
/// </summary>
internal sealed class DatabaseOutageMiddleware(RequestDelegate next, ILogger<DatabaseOutageMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (Exception ex) when (DatabaseAvailability.IsUnavailable(ex) && !context.Response.HasStarted
                                   && !context.RequestAborted.IsCancellationRequested)
        {
            logger.LogWarning("{Method} {Path}: the database is unavailable ({Message}); answered 503", context.Request.Method,
                context.Request.Path, ex.Message);
            context.Response.Clear();
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.RetryAfter = HealthExtensions.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            context.Response.Headers.CacheControl = "no-store";
            const string detail = "The database is unavailable for a moment. Nothing was lost: try again in a few seconds.";
            if (context.Request.Path.StartsWithSegments("/api"))
            {
                await Results.Problem(detail, statusCode: StatusCodes.Status503ServiceUnavailable, title: "Service unavailable")
                    .ExecuteAsync(context);
                return;
            }
            context.Response.ContentType = "text/html; charset=utf-8";
            await context.Response.WriteAsync($"""
                <!DOCTYPE html>
                <html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="{HealthExtensions.RetryAfterSeconds}">
                <title>Back in a moment</title></head>
                <body><main><h1>Back in a moment</h1><p>{detail} This page reloads itself.</p></main></body></html>
                """);
        }
    }
}
