using System.ComponentModel.DataAnnotations;
using Platform.Domain.Datasets;

namespace Platform.Data.Datasets;

/// <summary>Section "Datasets": upload limits and the profiling rules.</summary>
public sealed class DatasetOptions
{
    public const string SectionName = "Datasets";

    /// <summary>Largest upload accepted, counted while the request streams in.</summary>
    [Range(1, long.MaxValue)]
    public long MaxUploadBytes { get; set; } = 200L * 1024 * 1024;

    [Range(1, int.MaxValue)]
    public int MaxRows { get; set; } = 1_000_000;

    /// <summary>Longer texts are skipped and reported: BERT reads 512 tokens at most anyway.</summary>
    [Range(1, 1_000_000)]
    public int MaxTextLength { get; set; } = 10_000;

    [Range(1, 200)]
    public int MaxLabelLength { get; set; } = 100;

    /// <summary>Columns a CSV may have; a row with more is refused while it is read (a line of commas is not millions of fields).</summary>
    [Range(2, 100_000)]
    public int MaxColumns { get; set; } = 1000;

    /// <summary>
    /// Bytes of one CSV row kept in memory, all fields together; fields past it count as over-long, so one
    /// row never costs more than this however long it is in the file.
    /// </summary>
    [Range(1024, 64 * 1024 * 1024)]
    public int MaxRecordBytes { get; set; } = 1024 * 1024;

    [Range(2, 100_000)]
    public int MaxClasses { get; set; } = 1000;

    [Range(2, 1000)]
    public int MinClasses { get; set; } = 2;

    [Range(2, 1_000_000)]
    public int MinPerClass { get; set; } = 2;

    [Range(1, 1_000_000)]
    public int TinyClassBelow { get; set; } = 10;

    [Range(1.0, 1e9)]
    public double ImbalanceRatio { get; set; } = 10;

    [Range(0.01, 0.9)]
    public double ValidationFraction { get; set; } = 0.2;

    public int SplitSeed { get; set; } = 42;

    [Range(1, 1_000_000)]
    public int MaxZipEntries { get; set; } = 100_000;

    /// <summary>
    /// Files one organisation's datasets may hold on disk, all versions together (an image is a file):
    /// what bounds the inodes and blocks a tenant takes, whatever its plan's byte allowance.
    /// </summary>
    [Range(1, int.MaxValue)]
    public int MaxStoredFilesPerTenant { get; set; } = 250_000;

    /// <summary>
    /// The allocation unit a stored file is counted in against the plan's storage allowance: a file of
    /// 70 bytes still takes a block on disk (4 KiB on ext4 and XFS).
    /// </summary>
    [Range(1, 1024 * 1024)]
    public int StorageBlockBytes { get; set; } = 4096;

    [Range(1, long.MaxValue)]
    public long MaxZipUncompressedBytes { get; set; } = 2L * 1024 * 1024 * 1024;

    [Range(1, long.MaxValue)]
    public long MaxImageBytes { get; set; } = 20L * 1024 * 1024;

    /// <summary>Uncompressed over compressed size, per entry and overall; images barely compress, bombs do.</summary>
    [Range(1.0, 1e6)]
    public double MaxCompressionRatio { get; set; } = 100;

    [Range(1, 100_000)]
    public int MaxImageSide { get; set; } = 4096;

    [Range(0, 1000)]
    public int SampleCount { get; set; } = 12;

    public DatasetRules Rules => new()
    {
        MinClasses = MinClasses,
        MinPerClass = MinPerClass,
        TinyClassBelow = TinyClassBelow,
        ImbalanceRatio = ImbalanceRatio,
        ValidationFraction = ValidationFraction,
        SplitSeed = SplitSeed,
    };
}
