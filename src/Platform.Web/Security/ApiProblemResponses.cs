using Microsoft.AspNetCore.Diagnostics;

namespace Platform.Web.Security;

/// <summary>
/// API errors that left no body (a 404 for an unknown route, 405, 415, 429 from the rate limiter)
/// get one as problem+json, so an API client never receives the portal's HTML status page. It sits
/// inside the status-code pages, which then see a body and leave the response alone.
/// </summary>
internal sealed class ApiProblemResponsesMiddleware(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context)
    {
        await next(context);
        var response = context.Response;
        if (SecurityExtensions.IsApi(context) && response.StatusCode >= 400 && !response.HasStarted
            && response.ContentLength is null && string.IsNullOrEmpty(response.ContentType))
        {
            await Results.Problem(statusCode: response.StatusCode).ExecuteAsync(context);
        }
    }
}

/// <summary>An unhandled exception in the API is a problem+json 500; the portal keeps its error page.</summary>
internal sealed class ApiExceptionHandler : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (!SecurityExtensions.IsApi(context))
            return false;
        await Results.Problem(statusCode: StatusCodes.Status500InternalServerError,
            detail: "The server failed to process the request; it has been logged.").ExecuteAsync(context);
        return true;
    }
}
