using Platform.Domain.Common;

namespace Platform.Web.Api;

/// <summary>
/// Errors of the REST API: problem+json with a machine-readable <c>code</c> and, when one request
/// field or parameter is at fault, its name in <c>param</c>, so a client can react without parsing prose.
/// </summary>
internal static class ApiProblem
{
    public const string InvalidParameter = "invalid_parameter";
    public const string NotFoundCode = "not_found";

    public static IResult Create(int status, string code, string detail, string? param = null)
    {
        var extensions = new Dictionary<string, object?> { ["code"] = code };
        if (param is not null)
            extensions["param"] = param;
        return Results.Problem(detail: detail, statusCode: status, extensions: extensions);
    }

    public static IResult Invalid(string param, string detail) => Create(StatusCodes.Status400BadRequest, InvalidParameter, detail, param);

    public static IResult NotFound(string detail) => Create(StatusCodes.Status404NotFound, NotFoundCode, detail);

    /// <summary>An upload whose body was refused (<see cref="Uploads.MultipartUpload"/>).</summary>
    public static IResult From(Uploads.UploadRefusal refusal) => Create(refusal.Status, refusal.Code, refusal.Message, refusal.Param);

    /// <summary>A command's user-facing failure, with the status and code its kind calls for.</summary>
    public static IResult From(Result result, string? param = null) => Create(result.HttpStatus(), result.Status switch
    {
        ResultStatus.Forbidden => "forbidden",
        ResultStatus.NotFound => NotFoundCode,
        ResultStatus.Conflict => "conflict",
        _ => "invalid_request",
    }, result.Error ?? "The request failed.", param);
}
