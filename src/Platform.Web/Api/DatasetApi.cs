using Microsoft.Extensions.Options;
using Platform.Data;
using Platform.Domain.Common;
using Platform.Data.Datasets;
using Platform.Domain.Datasets;
using Platform.Web.Datasets;
using Platform.Web.Uploads;

namespace Platform.Web.Api;

/// <summary>/api/v1/datasets: upload, list (newest first, by cursor), get with its profile, delete.</summary>
internal static class DatasetApi
{
    public static async Task<IResult> ListAsync(HttpRequest request, DatasetPageQuery datasets, ICurrentTenant current,
        CancellationToken cancellationToken)
    {
        if (!PageQuery.TryParse(request, out var page, out var problem) || !page.TryAfterGuid(out var after, out problem))
            return problem!;
        DatasetKind? kind = null;
        if (request.Query["kind"].ToString() is { Length: > 0 } kindText)
        {
            if (!Enum.TryParse<DatasetKind>(kindText, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed) || kindText.Any(char.IsDigit))
                return ApiProblem.Invalid("kind", $"Unknown kind '{kindText}': one of text, image, corpus, tabular.");
            kind = parsed;
        }
        if (current.TenantId is not { } tenantId)
            return Results.Ok(page.ToPage(new List<DatasetDto>(), d => d.Id.ToString()));
        if (await datasets.ExecuteAsync(tenantId, kind, after, page.Fetch, cancellationToken) is not { } found)
            return PageQuery.InvalidCursor();
        var rows = found.Select(DatasetDto.From).ToList();
        return Results.Ok(page.ToPage(rows, d => d.Id.ToString()));
    }

    public static async Task<IResult> GetAsync(Guid id, GetDatasetQuery query, CancellationToken cancellationToken)
    {
        var dataset = await query.ExecuteAsync(id, cancellationToken);
        return dataset.IsSuccess ? Results.Ok(DatasetDetailDto.From(dataset.Value)) : ApiProblem.From(dataset);
    }

    public static async Task<IResult> DeleteAsync(Guid id, DeleteDatasetCommand delete, CancellationToken cancellationToken)
    {
        var deleted = await delete.ExecuteAsync(id, cancellationToken);
        return deleted.IsSuccess ? Results.NoContent() : ApiProblem.From(deleted);
    }

    public static async Task<IResult> UploadAsync(HttpContext context, IOptions<DatasetOptions> options, CreateDatasetCommand createDataset,
        GetDatasetQuery datasets, CancellationToken cancellationToken)
    {
        var (upload, refusal) = await MultipartUpload.OpenAsync(context, options.Value.MaxUploadBytes, cancellationToken);
        if (refusal is not null)
            return ApiProblem.From(refusal);
        var file = upload!.File!;
        if (file.FileName.Length == 0)
            return ApiProblem.From(UploadRefusal.NoFile());
        // purpose=corpus: unlabelled text for pre-training (.txt a document per line, or a CSV's text column).
        var purpose = upload.Field("purpose");
        if (purpose.Length > 0 && purpose is not ("corpus" or "tabular"))
            return ApiProblem.Invalid("purpose", "purpose is either absent (labelled text or images), \"corpus\" or \"tabular\".");
        if (DatasetEndpoints.KindOf(file.FileName, purpose) is not { } kind)
            return ApiProblem.Invalid("file", purpose switch
            {
                "corpus" => $"'{file.FileName}' is neither a .txt nor a .csv file.",
                "tabular" => $"'{file.FileName}' is not a .csv file: a table comes as CSV.",
                _ => $"'{file.FileName}' is neither a .csv nor a .zip file.",
            });
        try
        {
            // purpose=tabular: a table; labelColumn is its target, excludeColumns (comma-separated) the columns left out.
            var created = await createDataset.ExecuteAsync(new CreateDatasetRequest(upload.Field("name"), kind, file.Content,
                Blank(upload.Field("textColumn")), Blank(upload.Field("labelColumn")), Lines: DatasetEndpoints.IsPlainText(file.FileName),
                ExcludedColumns: CreateDatasetRequest.ParseColumnList(upload.Field("excludeColumns"))), cancellationToken);
            if (!created.IsSuccess)
                return ApiProblem.From(created);
            var dataset = await datasets.ExecuteAsync(created.Value.Id, cancellationToken);
            return Results.Created($"/api/v1/datasets/{created.Value.Id}", DatasetDetailDto.From(dataset.Value));
        }
        catch (Exception ex) when (upload.RefusalFor(ex) is { } streamed)
        {
            return ApiProblem.From(streamed);
        }
    }

    /// <summary>The upload's body: the file and a few small fields.</summary>
    public static long MaxRequestBytes(DatasetOptions options) => MultipartUpload.MaxRequestBytes(options.MaxUploadBytes);

    private static string? Blank(string value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
