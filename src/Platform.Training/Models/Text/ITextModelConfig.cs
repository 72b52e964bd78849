namespace Platform.Training.Models.Text;

/// <summary>
/// What every text-transformer family's config.json tells the classifier around it (tokenizer limits,
/// labels, saving). Each family keeps its own Hugging Face field names: BERT's hidden_size and
/// num_hidden_layers, DistilBERT's dim and n_layers.
/// </summary>
public interface ITextModelConfig
{
    /// <summary>Hugging Face's model_type: "bert" or "distilbert".</summary>
    string ModelType { get; }

    int VocabSize { get; }

    int MaxPositionEmbeddings { get; }

    /// <summary>Label names ordered by class index.</summary>
    IReadOnlyList<string> Labels { get; }

    /// <summary>Sets id2label and label2id from names in class-index order.</summary>
    ITextModelConfig WithLabels(IReadOnlyList<string> labels);

    /// <summary>The tokenizer_class Hugging Face's AutoTokenizer needs for this family (DistilBERT's takes no token types).</summary>
    string TokenizerClass { get; }

    /// <summary>config.json fields the family does not model, kept for a round trip (and the platform's own markers).</summary>
    Dictionary<string, System.Text.Json.JsonElement>? Extra { get; set; }

    void Save(string path);
}
