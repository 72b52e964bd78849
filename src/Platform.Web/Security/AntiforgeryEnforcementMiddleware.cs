using Microsoft.AspNetCore.Antiforgery;

namespace Platform.Web.Security;

/// <summary>
/// The framework's antiforgery middleware only records whether a token was valid; the check happens
/// where an endpoint binds its form, so a post that binds nothing (delete, cancel, revoke, sign-out)
/// went through without one, and a handler that reads the form itself threw (500). Here every
/// state-changing request is refused with 400 unless its token is valid, except on endpoints that
/// opt out explicitly (.DisableAntiforgery(): the API and the webhook, which carry no cookies, and
/// the uploads, which check the token themselves before reading the file). The circuits' hub
/// (/_blazor: negotiate, then a WebSocket) is not a form endpoint either: it is bound to the page that
/// rendered the component, whose protected descriptor another site cannot read (docs/decisions/0028).
/// </summary>
internal sealed class AntiforgeryEnforcementMiddleware(RequestDelegate next, IAntiforgery antiforgery, ILogger<AntiforgeryEnforcementMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        // A status page or error page re-executed for a refused post is not the post itself.
        // The API (bearer keys, no cookies) opts out on its route group, but a request that routing answers
        // itself (415 for a body type no endpoint accepts, 405) reaches here on an endpoint of routing's
        // own, without the group's metadata: it would be refused as a forgery, a bare 400.
        if (IsStateChanging(context.Request.Method)
            && !SecurityExtensions.IsApi(context)
            && context.Features.Get<Microsoft.AspNetCore.Diagnostics.IStatusCodeReExecuteFeature>() is null
            && context.Features.Get<Microsoft.AspNetCore.Diagnostics.IExceptionHandlerFeature>() is null
            && context.GetEndpoint() is { } endpoint
            && endpoint.Metadata.GetMetadata<IAntiforgeryMetadata>() is not { RequiresValidation: false }
            && endpoint.Metadata.GetMetadata<Microsoft.AspNetCore.SignalR.HubMetadata>() is null)
        {
            // UseAntiforgery validated form posts already; anything it skipped (no form content) is validated here.
            var valid = context.Features.Get<IAntiforgeryValidationFeature>()?.IsValid
                ?? await antiforgery.IsRequestValidAsync(context);
            if (!valid)
            {
                logger.LogInformation("Refused {Method} {Path}: no valid antiforgery token", context.Request.Method, context.Request.Path);
                RefuseForStatusPage(context, StatusCodes.Status400BadRequest);
                return;
            }
        }
        await next(context);
    }

    /// <summary>
    /// An empty response with <paramref name="status"/>, which the status-code pages fill. The refused
    /// request is re-executed as a GET of the status page: as a post it would be validated (and refused)
    /// again, and its unread form cannot be read at all.
    /// </summary>
    internal static void RefuseForStatusPage(HttpContext context, int status)
    {
        context.Response.StatusCode = status;
        context.Request.Method = HttpMethods.Get;
    }

    internal static bool IsStateChanging(string method) =>
        HttpMethods.IsPost(method) || HttpMethods.IsPut(method) || HttpMethods.IsPatch(method) || HttpMethods.IsDelete(method);
}
