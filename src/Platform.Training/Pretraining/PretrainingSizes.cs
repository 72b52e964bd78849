using Platform.Training.Models.Bert;

namespace Platform.Training.Pretraining;

/// <summary>
/// The BERT shapes a pre-training from scratch can take: the shapes of Google's compact BERTs (Turc et
/// al., "Well-Read Students Learn Better"), one size down from their names, because a tenant's corpus
/// of a few thousand documents on a CPU worker feeds no more: mini here is their tiny (2 x 128), small
/// their mini (4 x 256), medium their medium (8 x 512). Heads are 64 wide, the feed-forward 4x.
/// </summary>
public static class PretrainingSizes
{
    public const string Default = "small";

    public static IReadOnlyList<(string Name, string Description)> All { get; } =
    [
        ("mini", "2 layers, hidden 128: minutes on a CPU; for a few thousand short documents."),
        ("small", "4 layers, hidden 256: the default; for thousands to tens of thousands of documents."),
        ("medium", "8 layers, hidden 512: for large corpora and GPU workers."),
    ];

    /// <summary>The architecture of <paramref name="size"/>; its vocab_size is set from the vocabulary the run trains.</summary>
    public static BertConfig Config(string size)
    {
        var (layers, hidden) = size switch
        {
            "mini" => (2, 128),
            "small" => (4, 256),
            "medium" => (8, 512),
            _ => throw new ArgumentException($"unknown model size '{size}' (mini, small or medium)", nameof(size)),
        };
        return new BertConfig
        {
            Architectures = ["BertForMaskedLM"],
            HiddenSize = hidden,
            NumHiddenLayers = layers,
            NumAttentionHeads = hidden / 64,
            IntermediateSize = hidden * 4,
            MaxPositionEmbeddings = 512,
        };
    }

    public static bool IsKnown(string? size) => All.Any(s => s.Name == size);
}
