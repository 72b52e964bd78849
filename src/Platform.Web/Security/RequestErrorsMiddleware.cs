using System.Text.Json;

namespace Platform.Web.Security;

/// <summary>
/// A request the server cannot read (malformed or mistyped JSON, a body past its limit, a form past
/// the form limits) is the client's error: its status (400 or 413), never a 500. API requests get the
/// reason as problem+json; portal requests an empty body, which the status-code pages turn into a page.
/// Minimal APIs throw these because RouteHandlerOptions.ThrowOnBadRequest is set (SecurityExtensions),
/// so the reason reaches the client instead of only the log.
/// </summary>
internal sealed class RequestErrorsMiddleware(RequestDelegate next, ILogger<RequestErrorsMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            // A declared length past the endpoint's limit is refused before anything reads the body; the
            // server enforces the same limit while reading (chunked bodies, lying lengths).
            if (context.GetEndpoint()?.Metadata.GetMetadata<Microsoft.AspNetCore.Http.Metadata.IRequestSizeLimitMetadata>() is { MaxRequestBodySize: { } max }
                && context.Request.ContentLength > max)
            {
                throw new BadHttpRequestException("Request body too large.", StatusCodes.Status413PayloadTooLarge);
            }
            await next(context);
        }
        catch (Exception ex) when (Status(ex) is { } status && !context.Response.HasStarted)
        {
            logger.LogInformation("Refused {Method} {Path} with {Status}: {Reason}", context.Request.Method, context.Request.Path, status, Detail(ex));
            context.Response.Clear();
            if (!SecurityExtensions.IsApi(context))
            {
                AntiforgeryEnforcementMiddleware.RefuseForStatusPage(context, status);
            }
            else
            {
                context.Response.StatusCode = status;
                var (code, param) = CodeOf(ex);
                var extensions = new Dictionary<string, object?> { ["code"] = code };
                if (param is not null)
                    extensions["param"] = param;
                await Results.Problem(statusCode: status, detail: Detail(ex), extensions: extensions).ExecuteAsync(context);
            }
        }
    }

    private static int? Status(Exception ex) => ex switch
    {
        BadHttpRequestException bad => bad.StatusCode,
        // Form reading past FormOptions' limits (too many fields, a value too long).
        InvalidDataException => StatusCodes.Status400BadRequest,
        _ => null,
    };

    /// <summary>
    /// The machine-readable reason and, for JSON, the field at fault: its path without the leading "$."
    /// (a field the request type does not have is "unknown_field").
    /// </summary>
    internal static (string Code, string? Param) CodeOf(Exception ex) => ex switch
    {
        BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } => ("body_too_large", null),
        BadHttpRequestException { StatusCode: StatusCodes.Status415UnsupportedMediaType } => ("unsupported_media_type", null),
        BadHttpRequestException { InnerException: JsonException json } => (
            json.Message.Contains("could not be mapped to any .NET member", StringComparison.Ordinal) ? "unknown_field" : "invalid_json",
            json.Path is { Length: > 2 } path && path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : null),
        _ => ("invalid_request", null),
    };

    /// <summary>What was wrong, for the client: the binding failure and, for JSON, where in the body.</summary>
    internal static string Detail(Exception ex) => ex switch
    {
        BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } => "The request body is larger than this endpoint accepts.",
        BadHttpRequestException { StatusCode: StatusCodes.Status415UnsupportedMediaType } => ApiProblemResponsesMiddleware.UnsupportedMediaType(null),
        BadHttpRequestException { InnerException: JsonException json } => $"The body is not valid JSON for this request: {json.Message}",
        _ => ex.Message,
    };
}
