using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Platform.Training.Models.Text;

namespace Platform.Training.Models.DistilBert;

/// <summary>
/// Hugging Face's DistilBertConfig fields, with its own names (dim, hidden_dim, n_layers, n_heads,
/// dropout, attention_dropout, seq_classif_dropout). Unmodelled fields survive a round trip in
/// <see cref="Extra"/>, so a config imported from the Hub is written back as it came plus the labels.
/// </summary>
public sealed class DistilBertConfig : ITextModelConfig
{
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    [JsonPropertyName("architectures")] public List<string> Architectures { get; set; } = ["DistilBertForSequenceClassification"];
    [JsonPropertyName("model_type")] public string ModelType { get; set; } = "distilbert";
    [JsonPropertyName("vocab_size")] public int VocabSize { get; set; } = 30522;
    [JsonPropertyName("max_position_embeddings")] public int MaxPositionEmbeddings { get; set; } = 512;
    [JsonPropertyName("sinusoidal_pos_embds")] public bool SinusoidalPositionEmbeddings { get; set; }
    [JsonPropertyName("n_layers")] public int Layers { get; set; } = 6;
    [JsonPropertyName("n_heads")] public int Heads { get; set; } = 12;
    [JsonPropertyName("dim")] public int Dim { get; set; } = 768;
    [JsonPropertyName("hidden_dim")] public int HiddenDim { get; set; } = 3072;
    [JsonPropertyName("dropout")] public double Dropout { get; set; } = 0.1;
    [JsonPropertyName("attention_dropout")] public double AttentionDropout { get; set; } = 0.1;
    [JsonPropertyName("activation")] public string Activation { get; set; } = "gelu";
    [JsonPropertyName("initializer_range")] public double InitializerRange { get; set; } = 0.02;
    [JsonPropertyName("qa_dropout")] public double QaDropout { get; set; } = 0.1;
    [JsonPropertyName("seq_classif_dropout")] public double SeqClassifDropout { get; set; } = 0.2;
    [JsonPropertyName("pad_token_id")] public int PadTokenId { get; set; }
    [JsonPropertyName("problem_type")] public string? ProblemType { get; set; } = "single_label_classification";
    [JsonPropertyName("id2label")] public Dictionary<string, string> Id2Label { get; set; } = new() { ["0"] = "LABEL_0", ["1"] = "LABEL_1" };
    [JsonPropertyName("label2id")] public Dictionary<string, int> Label2Id { get; set; } = new() { ["LABEL_0"] = 0, ["LABEL_1"] = 1 };

    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; set; }

    /// <summary>DistilBERT's LayerNorms all use this epsilon; the config has no field for it.</summary>
    [JsonIgnore] public double LayerNormEps => 1e-12;

    [JsonIgnore] public int NumLabels => Id2Label.Count;

    [JsonIgnore]
    public IReadOnlyList<string> Labels =>
        Enumerable.Range(0, NumLabels).Select(i => Id2Label.TryGetValue(i.ToString(CultureInfo.InvariantCulture), out var l) ? l : $"LABEL_{i}").ToList();

    [JsonIgnore] public string TokenizerClass => "DistilBertTokenizer";

    public DistilBertConfig WithLabels(IReadOnlyList<string> labels)
    {
        if (labels.Count == 0 || labels.Distinct(StringComparer.Ordinal).Count() != labels.Count) throw new ArgumentException("labels must be non-empty and distinct", nameof(labels));
        Id2Label = labels.Select((l, i) => (l, i)).ToDictionary(x => x.i.ToString(CultureInfo.InvariantCulture), x => x.l);
        Label2Id = labels.Select((l, i) => (l, i)).ToDictionary(x => x.l, x => x.i);
        return this;
    }

    ITextModelConfig ITextModelConfig.WithLabels(IReadOnlyList<string> labels) => WithLabels(labels);

    public void Validate()
    {
        if (Dim < 1 || Heads < 1 || Dim % Heads != 0) throw new InvalidDataException($"dim {Dim} is not a multiple of n_heads {Heads}");
        if (Activation is not ("gelu" or "relu")) throw new InvalidDataException($"activation '{Activation}' is not supported (gelu or relu)");
        // Hugging Face freezes sinusoidal position tables; training them here would silently differ.
        if (SinusoidalPositionEmbeddings) throw new InvalidDataException("sinusoidal_pos_embds is not supported (only learned position embeddings)");
        if (NumLabels < 1) throw new InvalidDataException("id2label is empty");
        if (VocabSize < 1 || Layers < 1 || HiddenDim < 1 || MaxPositionEmbeddings < 1) throw new InvalidDataException("config sizes must be positive");
    }

    public static DistilBertConfig Parse(string json)
    {
        var config = JsonSerializer.Deserialize<DistilBertConfig>(json) ?? throw new InvalidDataException("config.json is empty");
        // As for BERT: num_labels without id2label is authoritative.
        if (config.Extra is { } extra && extra.TryGetValue("num_labels", out var n) && n.TryGetInt32(out var count) && count > 0
            && count != config.NumLabels && !json.Contains("\"id2label\"", StringComparison.Ordinal))
        {
            config.WithLabels(Enumerable.Range(0, count).Select(i => $"LABEL_{i}").ToList());
        }
        config.Validate();
        return config;
    }

    public static DistilBertConfig Load(string path) => Parse(File.ReadAllText(path));

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public void Save(string path) => File.WriteAllText(path, ToJson());
}
