namespace Platform.Data.Datasets.Ingestion;

/// <summary>One CSV record and the physical line it starts on (1-based; the header is line 1).</summary>
internal readonly record struct CsvRecord(int Line, string[] Fields);
