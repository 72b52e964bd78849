namespace Platform.Data.Datasets.Ingestion;

/// <summary>
/// One CSV record and the physical line it starts on (1-based; the header is line 1).
/// <paramref name="Truncated"/> lists the fields whose bytes went past <see cref="CsvLimits"/>: they
/// were read past, not kept, and hold only their first bytes (or nothing), so callers treat them as over-long.
/// </summary>
internal readonly record struct CsvRecord(int Line, string[] Fields, int[] Truncated)
{
    public CsvRecord(int line, string[] fields)
        : this(line, fields, [])
    {
    }

    public bool IsTruncated(int field) => Truncated.Length > 0 && Array.IndexOf(Truncated, field) >= 0;
}

/// <summary>
/// What one record may hold in memory, whatever the file contains: a line of commas or an endless
/// quoted field is refused or cut while it is read, never collected first.
/// </summary>
/// <param name="MaxFields">Fields per record; one more is an error (the header sets the count anyway).</param>
/// <param name="MaxFieldBytes">Bytes kept per field; the rest is read past and the field marked truncated.</param>
/// <param name="MaxRecordBytes">Bytes kept per record, all fields together; later fields are marked truncated.</param>
internal sealed record CsvLimits(int MaxFields, int MaxFieldBytes, int MaxRecordBytes)
{
    /// <summary>A UTF-8 character of a .NET string takes at most 3 bytes (a surrogate pair, 2 chars, takes 4).</summary>
    public const int MaxBytesPerChar = 3;

    public static CsvLimits From(DatasetOptions options) => new(
        options.MaxColumns,
        (int)Math.Min(int.MaxValue, (long)options.MaxTextLength * MaxBytesPerChar),
        options.MaxRecordBytes);
}
