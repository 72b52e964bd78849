using Platform.Domain.Common;

namespace Platform.Web;

/// <summary>
/// The one mapping from a command's failure kind to an HTTP status: upload pages, downloads and the
/// REST API's problem documents answer the same failure with the same status.
/// </summary>
internal static class ResultHttp
{
    public static int HttpStatus(this Result result) => result.Status switch
    {
        ResultStatus.Success => StatusCodes.Status200OK,
        ResultStatus.Forbidden => StatusCodes.Status403Forbidden,
        ResultStatus.NotFound => StatusCodes.Status404NotFound,
        ResultStatus.Conflict => StatusCodes.Status409Conflict,
        _ => StatusCodes.Status400BadRequest,
    };
}
