using System.Text.Json;
using Platform.Training.Models.Bert;
using Platform.Training.Models.Cnn;
using Platform.Training.Torch;
using Platform.Training.Torch.Nn;

namespace Platform.Training.Training;

public enum ModelKind
{
    Bert,
    Cnn,
}

/// <summary>One input's prediction: the top label, softmax scores by label and the raw logits.</summary>
public sealed record Prediction(string Label, IReadOnlyDictionary<string, double> Scores, float[] Logits);

/// <summary>A classifier and what turns raw input into its tensors; loaded from or saved to a model folder.</summary>
public abstract class ClassifierModel : IDisposable
{
    public const string ConfigFile = "config.json";
    public const string WeightsFile = "model.safetensors";

    // transformers refuses safetensors weights without this metadata.
    internal static readonly Dictionary<string, string> WeightsMetadata = new() { ["format"] = "pt" };

    protected ClassifierModel(Device device) => Device = device;

    public abstract ModelKind Kind { get; }
    public abstract IReadOnlyList<string> Labels { get; }
    public Device Device { get; }
    internal abstract Module Module { get; }

    /// <summary>Loads a trained (or initialised) model folder for prediction or further training.</summary>
    public static ClassifierModel Load(string directory, Device device)
    {
        var kind = DetectKind(directory);
        return kind == ModelKind.Bert ? BertClassifier.Load(directory, device) : CnnImageClassifier.Load(directory, device);
    }

    public static ModelKind DetectKind(string directory)
    {
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"model folder not found: {directory}");
        }

        var configPath = Path.Combine(directory, ConfigFile);
        if (!File.Exists(configPath))
        {
            throw new FileNotFoundException($"{directory} has no {ConfigFile}", configPath);
        }

        string? modelType;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(configPath));
            modelType = document.RootElement.TryGetProperty("model_type", out var type) ? type.GetString() : null;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{configPath}: not valid JSON ({e.Message})", e);
        }

        return modelType switch
        {
            "bert" => ModelKind.Bert,
            "platform_cnn" => ModelKind.Cnn,
            _ => throw new InvalidDataException($"{configPath}: model_type '{modelType}' is neither 'bert' nor 'platform_cnn'"),
        };
    }

    /// <summary>Writes the model folder (config, weights and, for BERT, the tokenizer files).</summary>
    public abstract void Save(string directory);

    /// <summary>Softmax scores and logits, rows in input order.</summary>
    public static IReadOnlyList<Prediction> ToPredictions(float[] logits, int rows, IReadOnlyList<string> labels)
    {
        var classes = labels.Count;
        var predictions = new Prediction[rows];
        for (var r = 0; r < rows; r++)
        {
            var row = logits.AsSpan(r * classes, classes).ToArray();
            var max = row.Max();
            var exp = row.Select(v => Math.Exp(v - max)).ToArray();
            var sum = exp.Sum();
            var scores = new Dictionary<string, double>(classes, StringComparer.Ordinal);
            var best = 0;
            for (var c = 0; c < classes; c++)
            {
                scores[labels[c]] = exp[c] / sum;
                best = row[c] > row[best] ? c : best;
            }

            predictions[r] = new Prediction(labels[best], scores, row);
        }

        return predictions;
    }

    internal static Dictionary<string, Tensor> ReadWeights(string directory, Device device)
    {
        var path = Path.Combine(directory, WeightsFile);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{directory} has no {WeightsFile}", path);
        }

        return TensorFiles.Load(path, device);
    }

    internal static void DisposeAll(Dictionary<string, Tensor> tensors)
    {
        foreach (var tensor in tensors.Values)
        {
            tensor.Dispose();
        }
    }

    public void Dispose()
    {
        Module.Dispose();
        GC.SuppressFinalize(this);
    }
}
