namespace Platform.Training.Tokenization;

public enum PaddingStrategy
{
    /// <summary>Every row has the requested maximum length.</summary>
    MaxLength,

    /// <summary>Rows are padded to the longest row of the batch, which saves compute on short texts.</summary>
    Longest,
}

/// <summary>One encoded text; the arrays have the same length.</summary>
public sealed record BertEncoding(long[] InputIds, long[] AttentionMask, long[] TokenTypeIds);

/// <summary>Row-major [BatchSize, SequenceLength] arrays.</summary>
public sealed class EncodedBatch(int batchSize, int sequenceLength)
{
    public int BatchSize { get; } = batchSize;
    public int SequenceLength { get; } = sequenceLength;
    public long[] InputIds { get; } = new long[batchSize * sequenceLength];
    public long[] AttentionMask { get; } = new long[batchSize * sequenceLength];
    public long[] TokenTypeIds { get; } = new long[batchSize * sequenceLength];
}
