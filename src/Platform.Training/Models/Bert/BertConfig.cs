using System.Text.Json;
using System.Text.Json.Serialization;
using Platform.Training.Models.Text;

namespace Platform.Training.Models.Bert;

/// <summary>
/// Hugging Face's BertConfig fields, read from and written to config.json. Fields this class does
/// not model are kept in <see cref="Extra"/> so a Hugging Face config survives a round trip.
/// </summary>
public sealed class BertConfig : ITextModelConfig
{
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    [JsonPropertyName("architectures")] public List<string> Architectures { get; set; } = ["BertForSequenceClassification"];
    [JsonPropertyName("model_type")] public string ModelType { get; set; } = "bert";
    [JsonPropertyName("vocab_size")] public int VocabSize { get; set; } = 30522;
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; set; } = 768;
    [JsonPropertyName("num_hidden_layers")] public int NumHiddenLayers { get; set; } = 12;
    [JsonPropertyName("num_attention_heads")] public int NumAttentionHeads { get; set; } = 12;
    [JsonPropertyName("intermediate_size")] public int IntermediateSize { get; set; } = 3072;
    [JsonPropertyName("hidden_act")] public string HiddenAct { get; set; } = "gelu";
    [JsonPropertyName("hidden_dropout_prob")] public double HiddenDropoutProb { get; set; } = 0.1;
    [JsonPropertyName("attention_probs_dropout_prob")] public double AttentionProbsDropoutProb { get; set; } = 0.1;
    [JsonPropertyName("classifier_dropout")] public double? ClassifierDropout { get; set; }
    [JsonPropertyName("max_position_embeddings")] public int MaxPositionEmbeddings { get; set; } = 512;
    [JsonPropertyName("type_vocab_size")] public int TypeVocabSize { get; set; } = 2;
    [JsonPropertyName("initializer_range")] public double InitializerRange { get; set; } = 0.02;
    [JsonPropertyName("layer_norm_eps")] public double LayerNormEps { get; set; } = 1e-12;
    [JsonPropertyName("pad_token_id")] public int PadTokenId { get; set; }
    [JsonPropertyName("position_embedding_type")] public string PositionEmbeddingType { get; set; } = "absolute";
    [JsonPropertyName("problem_type")] public string? ProblemType { get; set; } = "single_label_classification";
    [JsonPropertyName("id2label")] public Dictionary<string, string> Id2Label { get; set; } = new() { ["0"] = "LABEL_0", ["1"] = "LABEL_1" };
    [JsonPropertyName("label2id")] public Dictionary<string, int> Label2Id { get; set; } = new() { ["LABEL_0"] = 0, ["LABEL_1"] = 1 };

    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; set; }

    [JsonIgnore] public int NumLabels => Id2Label.Count;

    /// <summary>Label names ordered by class index.</summary>
    [JsonIgnore]
    public IReadOnlyList<string> Labels =>
        Enumerable.Range(0, NumLabels).Select(i => Id2Label.TryGetValue(i.ToString(System.Globalization.CultureInfo.InvariantCulture), out var l) ? l : $"LABEL_{i}").ToList();

    /// <summary>Sets id2label and label2id from names in class-index order.</summary>
    public BertConfig WithLabels(IReadOnlyList<string> labels)
    {
        if (labels.Count == 0 || labels.Distinct(StringComparer.Ordinal).Count() != labels.Count) throw new ArgumentException("labels must be non-empty and distinct", nameof(labels));
        Id2Label = labels.Select((l, i) => (l, i)).ToDictionary(x => x.i.ToString(System.Globalization.CultureInfo.InvariantCulture), x => x.l);
        Label2Id = labels.Select((l, i) => (l, i)).ToDictionary(x => x.l, x => x.i);
        return this;
    }

    ITextModelConfig ITextModelConfig.WithLabels(IReadOnlyList<string> labels) => WithLabels(labels);

    [JsonIgnore] public string TokenizerClass => "BertTokenizer";

    public void Validate()
    {
        if (HiddenSize % NumAttentionHeads != 0) throw new InvalidDataException($"hidden_size {HiddenSize} is not a multiple of num_attention_heads {NumAttentionHeads}");
        if (HiddenAct != "gelu") throw new InvalidDataException($"hidden_act '{HiddenAct}' is not supported (only the erf \"gelu\")");
        if (PositionEmbeddingType != "absolute") throw new InvalidDataException($"position_embedding_type '{PositionEmbeddingType}' is not supported");
        if (NumLabels < 1) throw new InvalidDataException("id2label is empty");
        if (VocabSize < 1 || NumHiddenLayers < 1 || MaxPositionEmbeddings < 1 || TypeVocabSize < 1) throw new InvalidDataException("config sizes must be positive");
    }

    public static BertConfig Parse(string json)
    {
        var config = JsonSerializer.Deserialize<BertConfig>(json) ?? throw new InvalidDataException("config.json is empty");
        // Hugging Face writes num_labels only sometimes; when id2label is absent it is authoritative.
        if (config.Extra is { } extra && extra.TryGetValue("num_labels", out var n) && n.TryGetInt32(out var count) && count != config.NumLabels && count > 0 && !json.Contains("\"id2label\"", StringComparison.Ordinal))
        {
            config.WithLabels(Enumerable.Range(0, count).Select(i => $"LABEL_{i}").ToList());
        }
        config.Validate();
        return config;
    }

    public static BertConfig Load(string path) => Parse(File.ReadAllText(path));

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public void Save(string path) => File.WriteAllText(path, ToJson());
}
