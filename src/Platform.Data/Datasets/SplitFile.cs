using System.Text.Json;
using Platform.Domain.Datasets;

namespace Platform.Data.Datasets;

/// <summary>
/// The train/validation split as stored in the artifact store (docs/decisions/0003-dataset-split.md):
/// {"seed":42,"validationFraction":0.2,"train":[0,2,...],"validation":[1,...]}, indices into the
/// dataset's records (data rows of the normalised CSV, lines of the image manifest).
/// </summary>
public static class SplitFile
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private sealed record Document(int Seed, double ValidationFraction, int[] Train, int[] Validation);

    public static MemoryStream Write(DatasetSplit split)
    {
        var stream = new MemoryStream();
        JsonSerializer.Serialize(stream, new Document(split.Seed, split.ValidationFraction, [.. split.Train], [.. split.Validation]), Json);
        stream.Position = 0;
        return stream;
    }

    public static async Task<DatasetSplit> ReadAsync(Stream stream, CancellationToken cancellationToken = default)
    {
        var document = await JsonSerializer.DeserializeAsync<Document>(stream, Json, cancellationToken)
            ?? throw new InvalidDataException("The split file is empty.");
        return new DatasetSplit(document.Seed, document.ValidationFraction, document.Train, document.Validation);
    }
}
