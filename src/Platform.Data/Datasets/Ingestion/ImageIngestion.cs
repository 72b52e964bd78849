using Platform.Domain.Datasets;

namespace Platform.Data.Datasets.Ingestion;

/// <summary>What reading an image ZIP produced: the manifest and every image are in the artifact store.</summary>
internal sealed record ImageIngestion(
    string ManifestHash,
    IReadOnlyList<string> ImageHashes,
    IReadOnlyList<string> Labels,
    DatasetStats Stats,
    IReadOnlyList<string> Warnings,
    IReadOnlyList<DatasetSample> Samples);

/// <summary>One line of the image manifest (JSON lines): record i of the dataset is line i.</summary>
internal sealed record ImageManifestEntry(string Hash, string Label, string Name, string Format, int Width, int Height);
