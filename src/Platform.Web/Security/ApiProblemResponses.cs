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
            if (Explain(context) is { } reason)
                await Api.ApiProblem.Create(response.StatusCode, reason.Code, reason.Detail).ExecuteAsync(context);
            else
                await Results.Problem(statusCode: response.StatusCode).ExecuteAsync(context);
        }
    }

    /// <summary>What routing refused, said so that the client can fix it.</summary>
    private static (string Code, string Detail)? Explain(HttpContext context) => context.Response.StatusCode switch
    {
        StatusCodes.Status404NotFound => ("not_found", $"No API endpoint at {context.Request.Path}: the reference is /api/docs."),
        StatusCodes.Status405MethodNotAllowed => ("method_not_allowed", $"{context.Request.Method} is not allowed on {context.Request.Path}."),
        StatusCodes.Status415UnsupportedMediaType => ("unsupported_media_type", UnsupportedMediaType(context.Request.ContentType)),
        _ => null,
    };

    internal static string UnsupportedMediaType(string? contentType) =>
        $"The body's Content-Type {(string.IsNullOrEmpty(contentType) ? "is missing or not accepted here" : $"'{contentType}' is not accepted here")}: "
        + "send JSON as application/json (uploads: multipart/form-data).";
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
