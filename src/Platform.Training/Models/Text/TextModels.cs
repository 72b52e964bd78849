using System.Text.Json;
using Platform.Training.Models.Bert;
using Platform.Training.Models.DistilBert;

namespace Platform.Training.Models.Text;

/// <summary>
/// The text-transformer families the platform trains, chosen by config.json's model_type: "bert"
/// (BERT, MiniLM and every other BERT-architecture encoder) and "distilbert". One place decides, so
/// the trainer, the catalog import, the playground and the CLI accept the same models.
/// </summary>
public static class TextModels
{
    public static IReadOnlyList<string> ModelTypes { get; } = ["bert", "distilbert"];

    /// <summary>For messages: which architectures a text model may have.</summary>
    public const string Supported = "BERT (model_type \"bert\": BERT, MiniLM and other BERT encoders) or DistilBERT (\"distilbert\")";

    public static bool IsTextModelType(string? modelType) => modelType is "bert" or "distilbert";

    /// <summary>Parses a config.json of a supported family; anything else is refused by name.</summary>
    public static ITextModelConfig ParseConfig(string json)
    {
        string? modelType;
        try
        {
            using var document = JsonDocument.Parse(json);
            modelType = document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("model_type", out var type)
                ? type.GetString()
                : null;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"config.json is not valid JSON ({e.Message})", e);
        }

        return modelType switch
        {
            "bert" => BertConfig.Parse(json),
            "distilbert" => DistilBertConfig.Parse(json),
            null => throw new InvalidDataException($"config.json has no model_type; a text model must be {Supported}"),
            _ => throw new InvalidDataException($"model_type '{modelType}' is not supported; a text model must be {Supported}"),
        };
    }

    public static ITextModelConfig LoadConfig(string path)
    {
        try
        {
            return ParseConfig(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>A new model for <paramref name="config"/>, initialised as Hugging Face initialises it.</summary>
    public static TextSequenceClassifier Create(ITextModelConfig config) => config switch
    {
        BertConfig bert => new BertForSequenceClassification(bert),
        DistilBertConfig distilbert => new DistilBertForSequenceClassification(distilbert),
        _ => throw new ArgumentException($"unknown text model config {config.GetType().Name}", nameof(config)),
    };

    /// <summary>The family's name for people: "BERT" or "DistilBERT".</summary>
    public static string DisplayName(string? modelType) => modelType switch
    {
        "distilbert" => "DistilBERT",
        _ => "BERT",
    };
}
