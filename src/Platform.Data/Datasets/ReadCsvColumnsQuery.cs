using Microsoft.Extensions.Options;
using Platform.Data.Datasets.Ingestion;
using Platform.Domain.Common;

namespace Platform.Data.Datasets;

/// <summary>The header's column names of a CSV, for the form where the user maps text and label columns.</summary>
public sealed class ReadCsvColumnsQuery(IOptions<DatasetOptions> options)
{
    public Result<IReadOnlyList<string>> Execute(Stream csv)
    {
        try
        {
            return Result<IReadOnlyList<string>>.Success(TextIngester.ReadColumns(csv, options.Value));
        }
        catch (IngestionException ex)
        {
            return Result<IReadOnlyList<string>>.BadRequest(ex.Message);
        }
    }
}
