using Platform.Domain.Datasets;

namespace Platform.Data.Datasets.Ingestion;

/// <summary>
/// What reading an image ZIP produced: the manifest and every image are in the artifact store. CopyOf
/// maps an image whose bytes an earlier image has under another label to that image (record indices),
/// for the split.
/// </summary>
internal sealed record ImageIngestion(
    string ManifestHash,
    IReadOnlyList<string> Labels,
    DatasetStats Stats,
    IReadOnlyList<string> Warnings,
    IReadOnlyList<DatasetSample> Samples,
    IReadOnlyDictionary<int, int> CopyOf);

/// <summary>One line of the image manifest (JSON lines): record i of the dataset is line i.</summary>
internal sealed record ImageManifestEntry(string Hash, string Label, string Name, string Format, int Width, int Height);
